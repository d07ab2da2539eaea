package dev.llama3j.tokenizer.vocab;

import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.format.gguf.GgufFile;
import dev.llama3j.format.gguf.GgufMetadata;
import dev.llama3j.tokenizer.GroundTruth;
import dev.llama3j.tokenizer.SpecialTokenNames;
import dev.llama3j.tokenizer.SpecialTokenSet;
import dev.llama3j.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The tokenizer llama.cpp's tooling wrote into tiny-gguf-q8_0.gguf against Meta's tokenizer.model: built from
 * the file it must encode every reference case identically, and exported from tokenizer.model it must give
 * the file's arrays element for element.
 */
class GgufTokenizerTest {
    private static String source;
    private static GgufTokenizer fileData;
    private static Tokenizer fromGguf;

    @BeforeAll
    static void readFixture() {
        var path = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf");
        source = path.toString();
        try (GgufFile file = GgufFile.open(path)) {
            GgufMetadata meta = file.metadata();
            fileData = GgufTokenizer.read(meta, source);
            fromGguf = GgufTokenizer.load(meta, source);
        }
    }

    @Test
    void everyReferenceCaseGivesMetasIds() {
        AllCases.Result r = AllCases.run(fromGguf);
        assertThat(r.checked()).isEqualTo(468 + 10 + 83 + 62 + 16);
        assertThat(r.failures()).isEmpty();
    }

    @Test
    void everyTokenHasTheBytesOfTokenizerModel() {
        Tokenizer meta = GroundTruth.tokenizer();
        assertThat(fromGguf.vocabSize()).isEqualTo(128256);
        assertThat(fromGguf.baseVocabSize()).isEqualTo(128000);
        for (int id = 0; id < meta.vocabSize(); id++) {
            if (!Arrays.equals(fromGguf.tokenBytes(id), meta.tokenBytes(id))) {
                assertThat(fromGguf.tokenBytes(id)).as("token " + id).isEqualTo(meta.tokenBytes(id));
            }
        }
        assertThat(fromGguf.naming()).isSameAs(SpecialTokenNames.LLAMA_3);
        assertThat(fromGguf.stopTokens()).containsExactly(128001, 128009);
        assertThat(fileData.stopTokenIds()).containsExactly(128001, 128009);
    }

    @Test
    void exportFromTokenizerModelIsWhatLlamaCppWrote() {
        GgufTokenizer exported = GgufTokenizer.fromTokenizer(GroundTruth.tokenizer(), false);
        assertThat(exported.model()).isEqualTo(fileData.model()).isEqualTo("gpt2");
        assertThat(exported.pre()).isEqualTo(fileData.pre()).isEqualTo("llama-bpe");
        assertThat(fileData.tokens()).hasSize(128256);
        assertThat(Arrays.equals(exported.tokens(), fileData.tokens())).as("tokens").isTrue();
        assertThat(fileData.tokenTypes()).hasSize(128256);
        assertThat(exported.tokenTypes()).isEqualTo(fileData.tokenTypes());
        assertThat(fileData.merges()).hasSize(280147);
        assertThat(Arrays.equals(exported.merges(), fileData.merges())).as("merges").isTrue();
        assertThat(exported.bosId()).isEqualTo(fileData.bosId()).isEqualTo(128000);
        assertThat(exported.eosId()).isEqualTo(fileData.eosId()).isEqualTo(128001);
        assertThat(exported.eotId()).isEqualTo(fileData.eotId()).isEqualTo(128009);
        assertThat(exported.eomId()).isNull();
        assertThat(fileData.eomId()).isNull();
        assertThat(exported.chatTemplate()).isEqualTo(fileData.chatTemplate());
    }

    @Test
    void llama31ExportNamesEomAndBuildsBack() {
        GgufTokenizer exported = GgufTokenizer.fromTokenizer(GroundTruth.tokenizer(), true);
        assertThat(exported.tokens()[128008]).isEqualTo("<|eom_id|>");
        assertThat(exported.tokens()[128010]).isEqualTo("<|python_tag|>");
        assertThat(exported.eomId()).isEqualTo(128008);
        Tokenizer back = exported.toTokenizer("exported");
        assertThat(back.naming()).isSameAs(SpecialTokenNames.LLAMA_3_1);
        assertThat(back.stopTokens()).containsExactly(128001, 128008, 128009);
        assertThat(exported.stopTokenIds()).containsExactly(128001, 128009, 128008);
    }

    @Test
    void namesAreTakenFromTheFile() {
        // a Hugging Face Llama 3.1 vocabulary names 128008 eom_id but keeps 128005 and 128011 reserved
        String[] tokens = fileData.tokens().clone();
        tokens[128004] = "<|finetune_right_pad_id|>";
        tokens[128008] = "<|eom_id|>";
        tokens[128010] = "<|python_tag|>";
        Tokenizer t = with(tokens, fileData.tokenTypes(), fileData.merges(), "llama-bpe").toTokenizer("hf31");
        assertThat(t.specialTokenId("<|eom_id|>")).isEqualTo(128008);
        assertThat(t.tokenText(128008)).isEqualTo("<|eom_id|>");
        assertThat(t.stopTokens()).containsExactly(128001, 128008, 128009);
        assertThat(t.padId()).isEqualTo(128004);
        assertThat(t.encode("<|python_tag|>", false, false, SpecialTokenSet.ALL, SpecialTokenSet.NONE))
                .containsExactly(128010);
    }

    @Test
    void otherPreTokenizersAndMergesAreRejected() {
        assertThatThrownBy(() -> with(fileData.tokens(), fileData.tokenTypes(), fileData.merges(), "qwen2")
                .toTokenizer("m.gguf"))
                .isInstanceOf(LlamaException.class)
                .hasMessage("m.gguf: tokenizer.ggml.pre 'qwen2' is not supported: llama3j supports Llama 3's 'llama-bpe'");
        assertThatThrownBy(() -> with(fileData.tokens(), fileData.tokenTypes(), fileData.merges(), null)
                .toTokenizer("m.gguf"))
                .isInstanceOf(LlamaException.class).hasMessageContaining("tokenizer.ggml.pre is missing");
        String[] swapped = fileData.merges().clone();
        swapped[1] = fileData.merges()[2];
        swapped[2] = fileData.merges()[1];
        assertThatThrownBy(() -> with(fileData.tokens(), fileData.tokenTypes(), swapped, "llama-bpe")
                .toTokenizer("m.gguf"))
                .isInstanceOf(LlamaException.class)
                .hasMessageContaining("tokenizer.ggml.merges[1] is 'ĠĠ ĠĠ', expected 'Ġ ĠĠĠ'");
        String[] fewer = Arrays.copyOf(fileData.merges(), 280146);
        assertThatThrownBy(() -> with(fileData.tokens(), fileData.tokenTypes(), fewer, "llama-bpe")
                .toTokenizer("m.gguf"))
                .isInstanceOf(LlamaException.class).hasMessageContaining("has 280146 merges, expected 280147");
    }

    static GgufTokenizer with(String[] tokens, int[] types, String[] merges, String pre) {
        return new GgufTokenizer("gpt2", pre, tokens, types, merges, 128000, 128001, 128009, null, null);
    }
}
