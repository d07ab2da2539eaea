package dev.llama3j.tokenizer.vocab;

import dev.llama3j.LlamaException;
import dev.llama3j.tokenizer.GroundTruth;
import dev.llama3j.tokenizer.RankTable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The merge check against Meta's tokenizer.model: the digests that let {@link TiktokenMerges#verify} skip
 * deriving the merges of Meta's vocabulary are those of the texts exported from tokenizer.model, and the
 * check without the shortcut accepts exactly the same merges.
 */
class TiktokenMergesTest {
    private static RankTable ranks;
    private static Utf8Strings tokens;
    private static String[] mergeTexts;
    private static Utf8Strings merges;

    @BeforeAll
    static void export() {
        GgufTokenizer data = GgufTokenizer.fromTokenizer(GroundTruth.tokenizer(), false);
        ranks = GroundTruth.tokenizer().ranks();
        tokens = Utf8Strings.of(data.tokens());
        mergeTexts = data.merges();
        merges = Utf8Strings.of(mergeTexts);
    }

    @Test
    void digestsAreThoseOfMetasTokensAndMerges() {
        assertThat(ranks.size()).isEqualTo(TiktokenMerges.META_BASE_TOKENS);
        assertThat(merges.size()).isEqualTo(TiktokenMerges.META_MERGES);
        assertThat(tokens.sha256(0, TiktokenMerges.META_BASE_TOKENS)).isEqualTo(TiktokenMerges.META_TOKENS_SHA256);
        assertThat(merges.sha256(0, merges.size())).isEqualTo(TiktokenMerges.META_MERGES_SHA256);
    }

    @Test
    void metasMergesAreRecognizedAndDerivingAcceptsThemToo() {
        TiktokenMerges.verifyDerived("m", merges, ranks, tokens);
        assertThat(TiktokenMerges.isMetaVocabulary(tokens, 128_000, merges)).isTrue();
    }

    @Test
    void anyChangedMergeIsNotRecognizedAndIsRejected() {
        String[] changed = mergeTexts.clone();
        changed[280_146] = changed[280_145];
        Utf8Strings bad = Utf8Strings.of(changed);
        assertThat(TiktokenMerges.isMetaVocabulary(tokens, 128_000, bad)).isFalse();
        assertThatThrownBy(() -> TiktokenMerges.verifyDerived("m", bad, ranks, tokens))
                .isInstanceOf(LlamaException.class).hasMessageStartingWith("m[280146] is '");
        Utf8Strings fewer = Utf8Strings.of(Arrays.copyOf(mergeTexts, 280_146));
        assertThat(TiktokenMerges.isMetaVocabulary(tokens, 128_000, fewer)).isFalse();
        assertThatThrownBy(() -> TiktokenMerges.verifyDerived("m", fewer, ranks, tokens))
                .isInstanceOf(LlamaException.class).hasMessage("m has 280146 merges, expected 280147 (every split"
                        + " of every token in rank order, as Llama 3's converters write them)");
    }
}
