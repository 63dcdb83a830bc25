"""Attributes JFR execution samples (jfr print output) to thread groups and, within each, to the first
project frame's feature (gateway, processor, sandbox, ...) and to the top frames."""
import collections, re, sys

def samples(path):
    thread, frames, in_stack = None, [], False
    for line in open(path, errors="replace"):
        s = line.strip()
        if s.startswith("jdk.ExecutionSample"):
            thread, frames, in_stack = None, [], False
        elif s.startswith("sampledThread = "):
            m = re.match(r'sampledThread = "(.*)" \(', s)
            thread = m.group(1) if m else s
        elif s.startswith("stackTrace = ["):
            in_stack = True
        elif in_stack and s.startswith("]"):
            in_stack = False
            yield thread, frames
        elif in_stack and s and s != "...":
            frames.append(re.sub(r"\s+line:.*", "", s))

def group(t):
    if t.startswith("vert.x-eventloop"): return "event_loops"
    if t.startswith("processor-kafka"): return "processor_loops"
    if re.match(r"C[12] Compiler", t): return "jit"
    if re.match(r"(data-plane|kafka-|TxnMarker|AddPartitions|group-coord|executor-|quorum|raft|broker|controller|transaction)", t): return "kafka"
    return "other"

FEATURES = [(".stack.sandbox.", "sandbox"), (".billing.gateway.", "gateway"), (".billing.processor.", "processor")]
def feature(frames):
    """The feature of the innermost project frame: whose code this sample's work was for."""
    for f in frames:
        if f.startswith("com.streamsocial.billing."):
            for key, name in FEATURES:
                if key in f:
                    return name
            return "billing-other:" + f.split(".")[3]
    for key, name in [("io.vertx.pgclient", "pg-client, no project frame"), ("io.vertx.sqlclient", "pg-client, no project frame"),
                      ("io.vertx.core.http", "http, no project frame"), ("io.netty", "netty, no project frame")]:
        if any(key in f for f in frames):
            return name
    return "unattributed"

by_group = collections.Counter(); by_feature = collections.defaultdict(collections.Counter)
top = collections.defaultdict(collections.Counter); incl = collections.defaultdict(collections.Counter)
n = 0
for thread, frames in samples(sys.argv[1]):
    n += 1
    g = group(thread or "?"); by_group[g] += 1
    by_feature[g][feature(frames)] += 1
    if frames: top[g][frames[0]] += 1
    for f in set(frames): incl[g][f] += 1
print(f"samples {n}")
for g, c in by_group.most_common():
    print(f"\n== {g}: {c} samples ({100*c/n:.1f}%)")
    for f, k in by_feature[g].most_common(): print(f"   {100*k/c:5.1f}%  {f}")
    print("  -- self top 25")
    for f, k in top[g].most_common(25): print(f"   {100*k/c:5.1f}%  {f}")
    if g == "event_loops":
        print("  -- inclusive, project and client frames, top 50")
        for f, k in [x for x in incl[g].most_common(400) if x[0].startswith("com.streamsocial") or "pgclient" in x[0] or "HttpClient" in x[0] or "jackson" in x[0] or "micrometer" in x[0]][:50]:
            print(f"   {100*k/c:5.1f}%  {f}")
