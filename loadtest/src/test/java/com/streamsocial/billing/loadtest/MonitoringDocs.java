package com.streamsocial.billing.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PromQL that {@code docs/} gives an operator: every {@code expr} of the Grafana dashboard, every
 * rule of the Prometheus rules file, and every {@code promql} block of {@code OPERATIONS.md}; each with
 * where it comes from, for failure messages. The directory is the {@code docs.dir} system property
 * (failsafe sets it), or {@code ../docs} from the module.
 */
final class MonitoringDocs {
    /** One expression and where it is written (a panel's title, a rule's name, a document). */
    record Expr(String where, String promql) {}

    static final String DASHBOARD = "grafana-dashboard.json";
    static final String RULES = "prometheus-rules.yml";
    static final String RULE_TESTS = "prometheus-rules.test.yml";
    static final String OPERATIONS = "OPERATIONS.md";

    private static final Pattern PROMQL_BLOCK = Pattern.compile("(?ms)^```promql\\n(.*?)^```");

    private MonitoringDocs() {}

    static Path dir() {
        return Path.of(System.getProperty("docs.dir", "../docs"))
                .toAbsolutePath()
                .normalize();
    }

    /** Every {@code expr} of the dashboard, with its panel's title. */
    static List<Expr> dashboard() throws IOException {
        JsonNode root = new ObjectMapper().readTree(dir().resolve(DASHBOARD).toFile());
        List<Expr> out = new ArrayList<>();
        collect(root, "dashboard", out);
        return out;
    }

    private static void collect(JsonNode node, String title, List<Expr> out) {
        String here = node.hasNonNull("title")
                ? "dashboard panel \"" + node.get("title").asText() + "\""
                : title;
        if (node.isObject()) {
            node.fields().forEachRemaining(f -> {
                if (f.getKey().equals("expr") && f.getValue().isTextual()) {
                    out.add(new Expr(here, f.getValue().asText()));
                } else {
                    collect(f.getValue(), here, out);
                }
            });
        } else if (node.isArray()) {
            node.forEach(child -> collect(child, here, out));
        }
    }

    /** Every alert rule of the rules file: its name and its expression, in file order. */
    static Map<String, String> rules() throws IOException {
        JsonNode root = new YAMLMapper().readTree(dir().resolve(RULES).toFile());
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode group : root.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                String name = rule.hasNonNull("alert")
                        ? rule.get("alert").asText()
                        : rule.path("record").asText();
                if (out.put(name, rule.path("expr").asText()) != null) {
                    throw new IllegalStateException("two rules named " + name + " in " + RULES);
                }
            }
        }
        return out;
    }

    /** The rules as expressions, each named by its rule. */
    static List<Expr> ruleExprs() throws IOException {
        List<Expr> out = new ArrayList<>();
        rules().forEach((name, expr) -> out.add(new Expr(RULES + " rule " + name, expr)));
        return out;
    }

    /** Every {@code promql} block of OPERATIONS.md, comment lines removed. */
    static List<Expr> operations() throws IOException {
        String text = Files.readString(dir().resolve(OPERATIONS), StandardCharsets.UTF_8);
        List<Expr> out = new ArrayList<>();
        Matcher m = PROMQL_BLOCK.matcher(text);
        while (m.find()) {
            String promql =
                    m.group(1).lines().filter(l -> !l.strip().startsWith("#")).reduce("", (a, b) -> a + b + "\n");
            out.add(new Expr(OPERATIONS + " block " + (out.size() + 1), promql));
        }
        return out;
    }

    /** Whitespace collapsed, for comparing an expression written on several lines with another. */
    static String normalized(String promql) {
        return promql.strip().replaceAll("\\s+", " ");
    }
}
