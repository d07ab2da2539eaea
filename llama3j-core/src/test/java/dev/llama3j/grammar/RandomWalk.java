package dev.llama3j.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiConsumer;

/**
 * A random output of a grammar over a vocabulary: at each step a token drawn from the mask. For the first
 * {@link #FREE_STEPS} steps the draw is uniform (stopping, where allowed, one time in four); after that the walk
 * stops as soon as the value may end, and draws nine times in ten among the allowed tokens that contain a closing
 * byte ({@code " ] }}), so that strings, arrays and objects get closed and the walk ends.
 */
final class RandomWalk {
    static final int FREE_STEPS = 24;
    static final int MAX_STEPS = 4000;

    /** The output, or null when it did not end within MAX_STEPS; every state visited and its bytes pass to
     *  {@code visit}. */
    static byte[] walk(JsonGrammar grammar, TokenMasks masks, byte[][] vocabulary, Random r,
                       BiConsumer<JsonState, byte[]> visit) {
        JsonState state = grammar.start();
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
                List<Integer> closing = ids.stream().filter(t -> closes(vocabulary[t])).toList();
                if (!closing.isEmpty()) id = closing.get(r.nextInt(closing.size()));
            }
            out.writeBytes(vocabulary[id]);
            state = masks.advance(state, id);
            assertThat(state).as("token %s allowed but not accepted", id).isNotNull();
        }
        return null;
    }

    private static boolean closes(byte[] token) {
        for (byte b : token) {
            if (b == '"' || b == ']' || b == '}') return true;
        }
        return false;
    }
}
