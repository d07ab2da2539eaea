package dev.llama3j.tokenizer;

import dev.llama3j.LlamaException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static dev.llama3j.tokenizer.GroundTruth.tokenizer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The two merge strategies agree, and decoding covers every token. */
class TokenizerBpeTest {

    private static RankTable ranks;

    /** Meta's rank table, read on first use: each test skips on its own without ../shared. */
    private static synchronized RankTable ranks() {
        if (ranks == null) {
            ranks = tokenizer().ranks();
        }
        return ranks;
    }

    @Test
    void heapAndScanMergeIdentically() {
        // tiktoken's rule (lowest rank, leftmost on ties) must not depend on which strategy runs: compare
        // both on random pieces of letters, digits, spaces, repeated characters and multi-byte text
        SplittableRandom random = new SplittableRandom(7);
        String alphabet = "aaaabcdeeefghiilmnoorssttuuy    00112233..,,'-éàü中文😀";
        int[] cps = alphabet.codePoints().toArray();
        BytePairEncoder scan = new BytePairEncoder(ranks());
        BytePairEncoder heap = new BytePairEncoder(ranks());
        for (int trial = 0; trial < 3000; trial++) {
            StringBuilder sb = new StringBuilder();
            int length = 2 + random.nextInt(trial < 2500 ? 40 : 400);
            for (int i = 0; i < length; i++) {
                sb.appendCodePoint(cps[random.nextInt(cps.length)]);
            }
            byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
            IntList a = new IntList(8);
            IntList b = new IntList(8);
            scan.mergeByScan(bytes, bytes.length, a);
            heap.mergeByHeap(bytes, bytes.length, b);
            assertThat(b.toArray()).as(sb.toString()).containsExactly(a.toArray());
            assertThat(tokenizer().decodeBytes(a.toArray())).isEqualTo(bytes);
        }
    }

    @Test
    void repeatedCharactersMergeLeftmostFirst() {
        // "aaaaaaa" as one piece: equal-rank pairs everywhere, so the leftmost merges first; the heap (used for
        // pieces longer than SMALL_PIECE) must give the tokens of the scan on the same bytes
        byte[] bytes = "a".repeat(BytePairEncoder.SMALL_PIECE * 3 + 1).getBytes(StandardCharsets.US_ASCII);
        IntList a = new IntList(8);
        IntList b = new IntList(8);
        new BytePairEncoder(ranks()).mergeByScan(bytes, bytes.length, a);
        new BytePairEncoder(ranks()).mergeByHeap(bytes, bytes.length, b);
        assertThat(b.toArray()).containsExactly(a.toArray());
    }

    @Test
    void everyTokenDecodesToItsBytes() {
        Tokenizer t = tokenizer();
        java.util.List<Integer> wrong = new java.util.ArrayList<>();
        for (int id = 0; id < t.vocabSize(); id++) {
            byte[] bytes = t.tokenBytes(id);
            boolean ok = java.util.Arrays.equals(t.decodeBytes(new int[]{id}), bytes)
                    && (id >= t.baseVocabSize() || ranks().rank(bytes, 0, bytes.length) == id);
            if (!ok) {
                wrong.add(id);
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(t.tokenBytes(9906)).isEqualTo("Hello".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void unknownIdsAreRejected() {
        Tokenizer t = tokenizer(); // outside the lambdas: without ../shared the test skips, not fails
        assertThatThrownBy(() -> t.decode(new int[]{1, 128256}))
                .isInstanceOf(LlamaException.class).hasMessageContaining("unknown token id 128256");
        assertThatThrownBy(() -> t.tokenBytes(-1))
                .isInstanceOf(LlamaException.class).hasMessageContaining("unknown token id -1");
    }

    @Test
    void disallowedSpecialTextIsAnErrorNamingTheToken() {
        Tokenizer t = tokenizer(); // outside the lambda: without ../shared the test skips, not fails
        assertThatThrownBy(() -> t.encode("hi <|start_header_id|> <|eot_id|>", false, false,
                SpecialTokenSet.NONE, SpecialTokenSet.ALL))
                .isInstanceOf(LlamaException.class).hasMessageContaining("<|start_header_id|>");
        // an explicit list: only its members are errors; other special text stays plain text
        assertThat(t.encode("<|eot_id|>", false, false, SpecialTokenSet.NONE, SpecialTokenSet.of("<|begin_of_text|>")))
                .containsExactly(27, 91, 68, 354, 851, 91, 29); // tokenizer-cases-allowed-special.jsonl "default"
    }
}
