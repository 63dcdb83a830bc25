package com.streamsocial.billing.props;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;

/**
 * Generators the property tests share. QuickTheories visits only its ranges' bounds as edge cases,
 * so the edge cases that matter (empty, zero, the extremes, NaN, a lone surrogate) are mixed in here
 * explicitly, about one case in ten.
 */
public final class Gens {
    private Gens() {}

    /** {@code gen}, with one of {@code edges} about one case in ten. */
    @SafeVarargs
    public static <T> Gen<T> withEdges(Gen<T> gen, T... edges) {
        return Generate.frequency(Pair.of(1, Generate.pick(List.of(edges))), Pair.of(9, gen));
    }

    /** One of the values, each as likely; shrinks towards the first. */
    @SafeVarargs
    public static <T> Gen<T> of(T... values) {
        return Generate.pick(List.of(values));
    }

    /** One of the generators, each as likely. */
    @SafeVarargs
    @SuppressWarnings("unchecked")
    public static <T> Gen<T> oneOf(Gen<? extends T>... gens) {
        List<Pair<Integer, Gen<T>>> weighted = new ArrayList<>();
        for (Gen<? extends T> g : gens) {
            weighted.add(Pair.of(1, g.map(t -> (T) t)));
        }
        return Generate.frequency(weighted);
    }

    /**
     * Values nested a generated number of levels deep, from {@code depthMin} to {@code depthMax}:
     * {@code deeper} wraps a generator in one more level.
     */
    public static <T> Gen<T> recursive(Gen<T> base, Function<Gen<T>, Gen<T>> deeper, int depthMin, int depthMax) {
        List<Gen<T>> byDepth = new ArrayList<>();
        byDepth.add(base);
        for (int d = 1; d <= depthMax; d++) {
            byDepth.add(deeper.apply(byDepth.get(d - 1)));
        }
        return SourceDSL.integers().between(depthMin, depthMax).flatMap(byDepth::get);
    }

    /** Any long: the extremes and zero's neighbours, small magnitudes, and the whole range. */
    public static Gen<Long> longs() {
        return withEdges(
                oneOf(
                        SourceDSL.longs().between(-10_000, 10_000),
                        SourceDSL.longs().all()),
                0L,
                1L,
                -1L,
                Long.MIN_VALUE,
                Long.MIN_VALUE + 1,
                Long.MAX_VALUE,
                Long.MAX_VALUE - 1);
    }

    /** Any int: the extremes and zero's neighbours, small magnitudes, and the whole range. */
    public static Gen<Integer> ints() {
        return withEdges(
                oneOf(
                        SourceDSL.integers().between(-1_000, 1_000),
                        SourceDSL.integers().all()),
                0,
                1,
                -1,
                Integer.MIN_VALUE,
                Integer.MIN_VALUE + 1,
                Integer.MAX_VALUE,
                Integer.MAX_VALUE - 1);
    }

    /** Any double, with NaN, the infinities, both zeros and the extremes mixed in. */
    public static Gen<Double> doubles() {
        return withEdges(
                oneOf(SourceDSL.doubles().any(), SourceDSL.doubles().between(-1_000, 1_000)),
                Double.NaN,
                Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY,
                0.0,
                -0.0,
                Double.MIN_VALUE,
                Double.MAX_VALUE,
                -Double.MAX_VALUE);
    }

    /** Characters from {@code first} to {@code last}, both included. */
    public static Gen<Character> chars(char first, char last) {
        return SourceDSL.integers().between(first, last).map(i -> (char) i.intValue());
    }

    /** One of the characters of {@code alphabet}. */
    public static Gen<Character> charsOf(String alphabet) {
        return SourceDSL.integers().between(0, alphabet.length() - 1).map(alphabet::charAt);
    }

    /** Text of {@code lengthMin} to {@code lengthMax} characters from {@code chars}; shrinks shorter. */
    public static Gen<String> strings(Gen<Character> chars, int lengthMin, int lengthMax) {
        return SourceDSL.lists().of(chars).ofSizeBetween(lengthMin, lengthMax).map(cs -> {
            StringBuilder b = new StringBuilder(cs.size());
            cs.forEach(b::append);
            return b.toString();
        });
    }

    /**
     * Any UTF-16 text up to {@code lengthMax}: every char, lone surrogates and controls included,
     * with the empty text and a few one-character edge cases mixed in.
     */
    public static Gen<String> anyStrings(int lengthMax) {
        return withEdges(strings(chars('\u0000', '\uffff'), 0, lengthMax), "", " ", "\u0000", "\ud800", "\uffff");
    }

    /** Any bytes, up to {@code lengthMax} of them; shown as text with escapes when a case fails. */
    public static Gen<byte[]> bytes(int lengthMax) {
        return Generate.byteArrays(
                        SourceDSL.integers().between(0, lengthMax),
                        Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0))
                .describedAs(Gens::printable);
    }

    /** The bytes as ASCII, with every other byte as \xNN. */
    public static String printable(byte[] bytes) {
        if (bytes == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder().append(bytes.length).append(" bytes: ");
        for (byte b : Arrays.copyOf(bytes, Math.min(bytes.length, 600))) {
            int c = b & 0xff;
            sb.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c));
        }
        return bytes.length > 600 ? sb + "..." : sb.toString();
    }
}
