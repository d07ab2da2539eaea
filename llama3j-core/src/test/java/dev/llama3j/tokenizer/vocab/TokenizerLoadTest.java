package dev.llama3j.tokenizer.vocab;

import dev.llama3j.LlamaException;
import dev.llama3j.tokenizer.GroundTruth;
import dev.llama3j.tokenizer.SpecialTokenNames;
import dev.llama3j.tokenizer.SpecialTokenSet;
import dev.llama3j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loading tokenizer.model files: the real one, and corrupt ones that must fail with a clear line. */
class TokenizerLoadTest {

    @TempDir
    Path dir;

    @Test
    void realVocabularyHasMetasSpecialTokens() {
        Tokenizer t = GroundTruth.tokenizer();
        assertThat(t.vocabSize()).isEqualTo(128256);
        assertThat(t.baseVocabSize()).isEqualTo(128000);
        assertThat(t.bosId()).isEqualTo(128000);
        assertThat(t.eosId()).isEqualTo(128001);
        assertThat(t.eotId()).isEqualTo(128009);
        assertThat(t.padId()).isEqualTo(-1);
        assertThat(t.stopTokens()).containsExactly(128001, 128009);
        // decode-cases.jsonl: 128008 is reserved_4, 128010 reserved_5, 128255 reserved_250 in meta-llama/llama3
        assertThat(t.specialTokenId("<|start_header_id|>")).isEqualTo(128006);
        assertThat(t.specialTokenId("<|reserved_special_token_4|>")).isEqualTo(128008);
        assertThat(t.specialTokenId("<|reserved_special_token_250|>")).isEqualTo(128255);
        assertThat(t.tokenText(128010)).isEqualTo("<|reserved_special_token_5|>");
        assertThat(t.isSpecial(127999)).isFalse();
        assertThat(t.isSpecial(128000)).isTrue();
    }

    @Test
    void llama31NamesFollowLlamaModels() {
        // meta-llama/llama-models models/llama3/tokenizer.py: same ids, new names, eom_id also stops
        Tokenizer t = GroundTruth.tokenizer().withNames(SpecialTokenNames.LLAMA_3_1);
        assertThat(t.specialTokenId("<|finetune_right_pad_id|>")).isEqualTo(128004);
        assertThat(t.specialTokenId("<|step_id|>")).isEqualTo(128005);
        assertThat(t.specialTokenId("<|eom_id|>")).isEqualTo(128008);
        assertThat(t.specialTokenId("<|eot_id|>")).isEqualTo(128009);
        assertThat(t.specialTokenId("<|python_tag|>")).isEqualTo(128010);
        assertThat(t.specialTokenId("<|image|>")).isEqualTo(128011);
        assertThat(t.specialTokenId("<|reserved_special_token_2|>")).isEqualTo(128012);
        assertThat(t.specialTokenId("<|reserved_special_token_245|>")).isEqualTo(128255);
        assertThat(t.padId()).isEqualTo(128004);
        assertThat(t.stopTokens()).containsExactly(128001, 128008, 128009);
        assertThat(t.encode("<|eom_id|>", false, false, SpecialTokenSet.ALL, SpecialTokenSet.NONE)).containsExactly(128008);
        assertThatThrownBy(() -> GroundTruth.tokenizer().specialTokenId("<|eom_id|>"))
                .isInstanceOf(LlamaException.class).hasMessageContaining("<|eom_id|>");
    }

    @Test
    void missingFileIsAClearError() {
        Path missing = dir.resolve("nope.model");
        assertThatThrownBy(() -> TiktokenFile.load(missing))
                .isInstanceOf(LlamaException.class).hasMessageContaining(missing.toString()).hasMessageContaining("not found");
    }

    @Test
    void malformedLineNamesFileAndLine() throws IOException {
        Path f = write(validLines(), "QUJD");
        assertThatThrownBy(() -> TiktokenFile.load(f)).isInstanceOf(LlamaException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("line 257").hasMessageContaining("base64-token rank");
    }

    @Test
    void nonNumericRankIsRejected() throws IOException {
        Path f = write(validLines(), "QUJD 25x");
        assertThatThrownBy(() -> TiktokenFile.load(f)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("line 257").hasMessageContaining("'25x'");
    }

    @Test
    void badBase64IsRejected() throws IOException {
        Path f = write(validLines(), "QU*D 256");
        assertThatThrownBy(() -> TiktokenFile.load(f)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("line 257").hasMessageContaining("bad base64 'QU*D'");
    }

    @Test
    void duplicateRankNamesBothLines() throws IOException {
        Path f = write(validLines(), "QUJD 256", "QUJE 256");
        assertThatThrownBy(() -> TiktokenFile.load(f)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("line 258").hasMessageContaining("duplicate rank 256").hasMessageContaining("line 257");
    }

    @Test
    void duplicateTokenBytesNameBothLines() throws IOException {
        Path f = write(validLines(), "QUJD 256", "QUJD 257");
        assertThatThrownBy(() -> TiktokenFile.load(f)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("line 258").hasMessageContaining("same token bytes as rank 256 (line 257)");
    }

    @Test
    void gapInRanksIsRejected() throws IOException {
        Path f = write(validLines(), "QUJD 256", "QUJE 258");
        assertThatThrownBy(() -> TiktokenFile.load(f)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("line 258").hasMessageContaining("rank 258 leaves a gap");
    }

    @Test
    void everyByteMustBeAToken() throws IOException {
        String[] lines = validLines();
        lines[0x41] = b64(new byte[]{'A', 'A'}) + " " + 0x41; // byte 'A' (0x41) now has no token of its own
        Path f = write(lines);
        assertThatThrownBy(() -> TiktokenFile.load(f)).isInstanceOf(LlamaException.class)
                .hasMessageContaining("single byte 0x41");
    }

    @Test
    void emptyFileIsRejected() throws IOException {
        Path f = write();
        assertThatThrownBy(() -> TiktokenFile.load(f)).isInstanceOf(LlamaException.class).hasMessageContaining("no tokens");
    }

    @Test
    void smallValidVocabularyEncodesAndDecodes() throws IOException {
        // ranks 0..255 = single bytes, 256 = "ab", 257 = "abc" (listed out of order, with a CRLF line)
        Path f = write(validLines(), "YWJj 257\r", "YWI= 256");
        Tokenizer t = TiktokenFile.load(f);
        assertThat(t.vocabSize()).isEqualTo(258 + 256);
        assertThat(t.bosId()).isEqualTo(258);
        // "abcab": one pre-token piece; BPE merges a+b (256) twice, then ab+c (257)
        assertThat(t.encode("abcab", true, false)).containsExactly(258, 257, 256);
        assertThat(t.decode(new int[]{257, 256, 259})).isEqualTo("abcab<|end_of_text|>");
    }

    @Test
    void base64DecodingMatchesTheJdkAndRejectsWhatItRejects() {
        byte[] dst = new byte[16];
        for (String ok : new String[]{"QQ==", "QUI=", "QUJD", "QUJDRA==", "//79"}) {
            byte[] src = ok.getBytes(StandardCharsets.US_ASCII);
            int n = TiktokenFile.decodeBase64(src, 0, src.length, dst, 0);
            assertThat(java.util.Arrays.copyOf(dst, n)).as(ok).isEqualTo(Base64.getDecoder().decode(ok));
        }
        for (String bad : new String[]{"QQ", "Q===", "====", "QQ=A", "QQ==QQ==", "QU-D", "QUJ\u00e9"}) {
            byte[] src = bad.getBytes(StandardCharsets.UTF_8);
            assertThat(TiktokenFile.decodeBase64(src, 0, src.length, dst, 0)).as(bad).isEqualTo(-1);
        }
    }

    private static String[] validLines() {
        String[] lines = new String[256];
        for (int b = 0; b < 256; b++) {
            lines[b] = b64(new byte[]{(byte) b}) + " " + b;
        }
        return lines;
    }

    private Path write(String[] base, String... extra) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String l : base) {
            sb.append(l).append('\n');
        }
        for (String l : extra) {
            sb.append(l).append('\n');
        }
        Path f = Files.createTempFile(dir, "tok", ".model");
        Files.writeString(f, sb, StandardCharsets.UTF_8);
        return f;
    }

    private Path write() throws IOException {
        return write(new String[0]);
    }

    private static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
