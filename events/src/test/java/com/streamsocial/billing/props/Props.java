package com.streamsocial.billing.props;

import static org.quicktheories.QuickTheory.qt;

import java.util.List;
import org.quicktheories.QuickTheory;
import org.quicktheories.api.AsString;
import org.quicktheories.core.ExceptionReporter;
import org.quicktheories.core.Reporter;

/**
 * QuickTheories set up one way for every property test: a stated number of cases, a random seed
 * (or {@code -DQT_SEED=n}) printed with the smallest failing case and a rerun hint, and shrinking.
 * QuickTheories skips a case it has already run, so a property may run fewer than it was given.
 */
public final class Props {
    /** The system property QuickTheories reads its seed from: set it to rerun a failure exactly. */
    public static final String SEED_PROPERTY = "QT_SEED";
    /** Shrink attempts for cheap, in-memory cases: a failure shrinks within seconds. */
    static final int SHRINKS_MAX = 10_000;
    /** Shrink attempts for cases that cost a request to a real server: a failure is reported within minutes. */
    static final int SLOW_SHRINKS_MAX = 100;

    private Props() {}

    /** {@code examples} in-memory cases, shrunk thoroughly on a failure. */
    public static QuickTheory cases(int examples) {
        return qt().withExamples(examples).withShrinkCycles(SHRINKS_MAX).withReporter(new RerunHint());
    }

    /** {@code examples} cases that each talk to a real server: a failure is shrunk a little only. */
    public static QuickTheory slowCases(int examples) {
        return qt().withExamples(examples).withShrinkCycles(SLOW_SHRINKS_MAX).withReporter(new RerunHint());
    }

    /** QuickTheories' own report ("Seed was n"), with how to rerun that seed. */
    static final class RerunHint implements Reporter {
        private final ExceptionReporter plain = new ExceptionReporter();

        @Override
        public void falisification(
                long seed,
                int examplesUsed,
                Object smallest,
                Throwable cause,
                List<Object> examples,
                AsString<Object> toString) {
            try {
                plain.falisification(seed, examplesUsed, smallest, cause, examples, toString);
            } catch (AssertionError report) {
                throw withHint(report, seed);
            }
        }

        @Override
        public void falisification(
                long seed, int examplesUsed, Object smallest, List<Object> examples, AsString<Object> toString) {
            try {
                plain.falisification(seed, examplesUsed, smallest, examples, toString);
            } catch (AssertionError report) {
                throw withHint(report, seed);
            }
        }

        @Override
        public void valuesExhausted(int completedExamples) {
            plain.valuesExhausted(completedExamples);
        }

        private static AssertionError withHint(AssertionError report, long seed) {
            AssertionError hinted = new AssertionError(report.getMessage()
                    + System.lineSeparator()
                    + "Rerun these cases: add -D" + SEED_PROPERTY + "=" + seed
                    + " to the same test selection (-Dtest=Class#method or -Dit.test=Class#method)");
            hinted.setStackTrace(report.getStackTrace());
            return hinted;
        }
    }
}
