package dev.llama3j.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * A random output of a grammar over a vocabulary: at each step a token drawn from the mask. For the first
 * {@link #FREE_STEPS} steps the draw is uniform (stopping, where allowed, one time in four); after that the walk
 * stops as soon as the output may end, and draws nine times in ten among the allowed tokens that close something
 * (for JSON: that contain one of {@code " ] }}), so that strings, arrays and objects get closed and the walk ends.
 */
final class RandomWalk {
    static final int FREE_STEPS = 24;
    static final int MAX_STEPS = 4000;

    /** The output, or null when it did not end within MAX_STEPS; every state visited and its bytes pass to
     *  {@code visit}. */
    static byte[] walk(Grammar grammar, TokenMasks masks, byte[][] vocabulary, Random r,
                       BiConsumer<GrammarState<?>, byte[]> visit) {
        return walk(grammar, masks, vocabulary, r, visit, RandomWalk::closesJson);
    }

    /** As above, with {@code closes} telling the tokens that help an output end. */
    static byte[] walk(Grammar grammar, TokenMasks masks, byte[][] vocabulary, Random r,
                       BiConsumer<GrammarState<?>, byte[]> visit, Predicate<byte[]> closes) {
        GrammarState<?> state = grammar.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int step = 0; step < MAX_STEPS; step++) {
            if (state.isComplete()) return out.toByteArray();
            visit.accept(state, out.toByteArray());
            long[] words = masks.allowed(state);
            List<Integer> ids = new ArrayList<>();
            for (int w = 0; w < words.length; w++) {
                for (long bits = words[w]; bits != 0; bits &= bits - 1) {
                    ids.add(w * 64 + Long.numberOfTrailingZeros(bits));
                }
            }
            assertThat(!ids.isEmpty() || state.canEnd()).as("dead end after %s", out).isTrue();
            if (state.canEnd() && (ids.isEmpty() || step >= FREE_STEPS || r.nextInt(4) == 0)) return out.toByteArray();
            int id = ids.get(r.nextInt(ids.size()));
            if (step >= FREE_STEPS && r.nextInt(10) != 0) {
                List<Integer> closing = ids.stream().filter(t -> closes.test(vocabulary[t])).toList();
                if (!closing.isEmpty()) id = closing.get(r.nextInt(closing.size()));
            }
            out.writeBytes(vocabulary[id]);
            state = masks.advance(state, id);
            assertThat(state).as("token %s allowed but not accepted", id).isNotNull();
        }
        return null;
    }

    private static boolean closesJson(byte[] token) {
        for (byte b : token) {
            if (b == '"' || b == ']' || b == '}') return true;
        }
        return false;
    }
}
