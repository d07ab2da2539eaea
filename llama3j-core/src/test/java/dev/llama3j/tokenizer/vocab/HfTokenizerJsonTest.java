package dev.llama3j.tokenizer.vocab;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.LlamaException;
import dev.llama3j.tokenizer.GroundTruth;
import dev.llama3j.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A tokenizer.json generated from tokenizer.model in Hugging Face's Llama 3 shape must tokenize as Meta does. */
class HfTokenizerJsonTest {
    @TempDir
    static Path dir;

    private static ObjectNode json;
    /** Meta's vocabulary with "a b" merges; it also lists one special token in model.vocab, as some files do. */
    private static Path stringsFile;
    private static Tokenizer fromStrings;

    @BeforeAll
    static void generate() throws IOException {
        json = HfTokenizerJsonFiles.llama3(GroundTruth.tokenizer(), false);
        ObjectNode withSpecialInVocab = json.deepCopy();
        ((ObjectNode) withSpecialInVocab.get("model").get("vocab")).put("<|eot_id|>", 128009);
        stringsFile = write("strings", withSpecialInVocab);
        fromStrings = HfTokenizerJson.load(stringsFile);
    }

    @Test
    void stringMergesGiveMetasIdsForEveryCase() {
        assertSameVocabulary(fromStrings);
        AllCases.Result r = AllCases.run(fromStrings);
        assertThat(r.checked()).isEqualTo(639);
        assertThat(r.failures()).isEmpty();
    }

    @Test
    void pairMergesGiveMetasIdsForEveryCase() throws IOException {
        Tokenizer t = HfTokenizerJson.load(write("pairs", HfTokenizerJsonFiles.llama3(GroundTruth.tokenizer(), true)));
        // loading checked every merge against the ranks; the encoder is the one the string case tests
        assertSameVocabulary(t);
        assertThat(t.encode("Hello, world!", true, false)).containsExactly(128000, 9906, 11, 1917, 0);
    }

    @Test
    void aVocabEntryThatContradictsAddedTokensIsRefused() throws IOException {
        ObjectNode copy = stripped();
        ((ObjectNode) copy.get("model").get("vocab")).put("<|eot_id|>", 128008);
        assertThatThrownBy(() -> HfTokenizerJson.load(write("clash", copy)))
                .isInstanceOf(LlamaException.class)
                .hasMessageContaining("model.vocab gives id 128008 to '<|eot_id|>' but added_tokens to"
                        + " '<|reserved_special_token_4|>'");
    }

    @Test
    void tokenizerConfigEosTokenIsAStopToken() throws IOException {
        Path file = stringsFile;
        Tokenizer t = fromStrings;
        assertThat(HfTokenizerJson.configEosToken(file, t)).isNull();
        Files.writeString(file.resolveSibling("tokenizer_config.json"), "{\"eos_token\": \"<|eot_id|>\"}");
        assertThat(HfTokenizerJson.configEosToken(file, t)).isEqualTo(128009);
        Files.writeString(file.resolveSibling("tokenizer_config.json"),
                "{\"eos_token\": {\"content\": \"<|end_of_text|>\", \"special\": true}}");
        assertThat(HfTokenizerJson.configEosToken(file, t)).isEqualTo(128001);
    }

    @Test
    void otherPreTokenizersAndModelsAreRefused() throws IOException {
        ObjectNode gpt2 = stripped();
        gpt2.set("pre_tokenizer", HfTokenizerJsonFiles.preTokenizer(
                "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"));
        assertThatThrownBy(() -> HfTokenizerJson.load(write("gpt2", gpt2)))
                .isInstanceOf(LlamaException.class)
                .hasMessageContaining("pre_tokenizer.pretokenizers[0]")
                .hasMessageContaining("expected a Split with Llama 3's regex (?i:'s|'t|");
        ObjectNode merging = stripped();
        ((ObjectNode) merging.get("model")).put("ignore_merges", false);
        assertThatThrownBy(() -> HfTokenizerJson.load(write("merging", merging)))
                .isInstanceOf(LlamaException.class).hasMessageContaining("model.ignore_merges is false, expected true");
        ObjectNode wordPiece = stripped();
        ((ObjectNode) wordPiece.get("model")).put("type", "WordPiece");
        assertThatThrownBy(() -> HfTokenizerJson.load(write("wp", wordPiece)))
                .isInstanceOf(LlamaException.class).hasMessageContaining("model.type is \"WordPiece\", expected \"BPE\"");
        assertThatThrownBy(() -> HfTokenizerJson.load(write("broken", "{\"model\": ")))
                .isInstanceOf(LlamaException.class).hasMessageContaining("not valid JSON");
    }

    /** The file's shape with a one-token vocabulary and no merges: enough for checks that come first. */
    private static ObjectNode stripped() {
        ObjectNode copy = json.deepCopy();
        ObjectNode model = (ObjectNode) copy.get("model");
        model.putObject("vocab").put("!", 0);
        model.putArray("merges");
        return copy;
    }

    private static void assertSameVocabulary(Tokenizer t) {
        Tokenizer meta = GroundTruth.tokenizer();
        assertThat(t.vocabSize()).isEqualTo(meta.vocabSize());
        for (int id = 0; id < meta.vocabSize(); id++) {
            if (!Arrays.equals(t.tokenBytes(id), meta.tokenBytes(id))) {
                assertThat(t.tokenBytes(id)).as("token " + id).isEqualTo(meta.tokenBytes(id));
            }
        }
    }

    private static Path write(String name, ObjectNode node) throws IOException {
        return write(name, GroundTruth.JSON.writeValueAsString(node));
    }

    private static Path write(String name, String text) throws IOException {
        Path sub = Files.createDirectories(dir.resolve(name));
        return Files.writeString(sub.resolve("tokenizer.json"), text);
    }

    /** tokenizer_config.json's chat_template: a string, or the "default" entry of a named list; else none. */
    @Test
    void chatTemplateFromTokenizerConfig(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("tokenizer.json");
        assertThat(HfTokenizerJson.configChatTemplate(json)).isNull();
        Path config = dir.resolve("tokenizer_config.json");
        Files.writeString(config, "{\"chat_template\": \"{{ messages }}\"}");
        assertThat(HfTokenizerJson.configChatTemplate(json)).isEqualTo("{{ messages }}");
        Files.writeString(config, "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"},"
                + " {\"name\": \"default\", \"template\": \"D\"}]}");
        assertThat(HfTokenizerJson.configChatTemplate(json)).isEqualTo("D");
        Files.writeString(config, "{\"eos_token\": \"<|eot_id|>\"}");
        assertThat(HfTokenizerJson.configChatTemplate(json)).isNull();
        Files.writeString(config, "{\"chat_template\": 7}");
        assertThatThrownBy(() -> HfTokenizerJson.configChatTemplate(json)).isInstanceOf(LlamaException.class)
                .hasMessage(config + ": chat_template is 7, expected a string or a list of {\"name\", \"template\"}");
    }
}
