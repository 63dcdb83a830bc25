package com.streamsocial.billing.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The alert rules shipped in {@code docs/}: {@code promtool check rules} accepts the rules file, its
 * rule unit tests pass ({@code promtool test rules}), among them the dead-letter alert firing on the
 * first dead letter, and OPERATIONS.md's {@code promql} blocks are exactly the rules' expressions, so
 * that the document and the file cannot drift apart. Needs {@code promtool} (see {@link Promtool}).
 */
class AlertRulesIT {
    @Test
    void promtoolChecksTheRulesFile() throws Exception {
        Promtool.Result r = Promtool.run(
                null,
                "check",
                "rules",
                MonitoringDocs.dir().resolve(MonitoringDocs.RULES).toString());
        assertThat(r.exit()).as(r.output()).isZero();
        int rules = MonitoringDocs.rules().size();
        assertThat(rules).isGreaterThanOrEqualTo(10);
        assertThat(r.output()).as(r.output()).contains("SUCCESS: " + rules + " rules found");
    }

    @Test
    void theRuleUnitTestsPassAndOneShowsTheFirstDeadLetterFiring() throws Exception {
        Promtool.Result r = Promtool.run(
                null,
                "test",
                "rules",
                MonitoringDocs.dir().resolve(MonitoringDocs.RULE_TESTS).toString());
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
        // The promise of the issue, kept by the test file: an evaluation that expects the dead-letter
        // alert to fire, on a series that was 0 before its first dead letter.
        JsonNode tests = new YAMLMapper()
                .readTree(
                        MonitoringDocs.dir().resolve(MonitoringDocs.RULE_TESTS).toFile())
                .path("tests");
        boolean firstDeadLetterFires = false;
        for (JsonNode t : tests) {
            boolean startsAtZero = false;
            for (JsonNode s : t.path("input_series")) {
                startsAtZero |= s.path("series").asText().startsWith("processor_dead_letters_total")
                        && s.path("values").asText().startsWith("0 ");
            }
            for (JsonNode a : t.path("alert_rule_test")) {
                firstDeadLetterFires |= startsAtZero
                        && a.path("alertname").asText().equals("BillingDeadLetters")
                        && !a.path("exp_alerts").isEmpty();
            }
        }
        assertThat(firstDeadLetterFires)
                .as("a rule test expecting BillingDeadLetters to fire on a series that was 0")
                .isTrue();
    }

    @Test
    void operationsMdShowsExactlyTheRulesExpressions() throws Exception {
        Set<String> rules = new TreeSet<>();
        MonitoringDocs.rules().values().forEach(e -> rules.add(MonitoringDocs.normalized(e)));
        Set<String> blocks = new TreeSet<>();
        MonitoringDocs.operations().forEach(e -> blocks.add(MonitoringDocs.normalized(e.promql())));
        assertThat(blocks).isNotEmpty();
        Set<String> onlyInDoc = new TreeSet<>(blocks);
        onlyInDoc.removeAll(rules);
        Set<String> onlyInRules = new TreeSet<>(rules);
        onlyInRules.removeAll(blocks);
        assertThat(onlyInDoc)
                .as("promql blocks of OPERATIONS.md that are no rule of prometheus-rules.yml")
                .isEmpty();
        assertThat(onlyInRules)
                .as("rules of prometheus-rules.yml that OPERATIONS.md does not show")
                .isEmpty();
    }
}
