package dev.llama3j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llama3j.LlamaException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static dev.llama3j.tokenizer.GroundTruth.cases;
import static dev.llama3j.tokenizer.GroundTruth.describe;
import static dev.llama3j.tokenizer.GroundTruth.ints;
import static dev.llama3j.tokenizer.GroundTruth.tokenizer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every case of the tiktoken/Meta ground truth files, through the Java API. */
public class TokenizerCasesTest {

    @Test
    void encodesEveryTokenizerCase() {
        List<String> failures = new ArrayList<>();
        List<JsonNode> all = cases("tokenizer-cases.jsonl");
        for (JsonNode c : all) {
            int[] ids = tokenizer().encode(c.get("text").textValue(), c.get("bos").booleanValue(),
                    c.get("eos").booleanValue());
            if (!java.util.Arrays.equals(ids, ints(c.get("ids")))) {
                failures.add(describe(c) + "\n   got " + java.util.Arrays.toString(ids));
            }
        }
        assertThat(all).hasSize(468);
        assertThat(failures).isEmpty();
    }

    @Test
    void encodesEveryAllowedSpecialCase() {
        List<JsonNode> all = cases("tokenizer-cases-allowed-special.jsonl");
        assertThat(all).hasSize(10);
        for (JsonNode c : all) {
            SpecialTokenSet allowed = specialSet(c.get("allowed_special"));
            SpecialTokenSet disallowed = specialSet(c.get("disallowed_special"));
            String text = c.get("text").textValue();
            boolean bos = c.get("bos").booleanValue();
            boolean eos = c.get("eos").booleanValue();
            if (c.hasNonNull("error")) {
                assertThatThrownBy(() -> tokenizer().encode(text, bos, eos, allowed, disallowed))
                        .as(describe(c)).isInstanceOf(LlamaException.class).hasMessageContaining("<|eot_id|>");
            } else {
                assertThat(tokenizer().encode(text, bos, eos, allowed, disallowed))
                        .as(describe(c)).containsExactly(ints(c.get("ids")));
            }
        }
    }

    @Test
    void decodesEveryDecodeCase() {
        List<JsonNode> all = cases("decode-cases.jsonl");
        assertThat(all).hasSize(83);
        HexFormat hex = HexFormat.of();
        for (JsonNode c : all) {
            int[] ids = ints(c.get("ids"));
            assertThat(hex.formatHex(tokenizer().decodeBytes(ids))).as(describe(c))
                    .isEqualTo(c.get("bytes_hex").textValue());
            String text = tokenizer().decode(ids);
            assertThat(text).as(describe(c)).isEqualTo(c.get("text").textValue());
            assertThat(hex.formatHex(text.getBytes(java.nio.charset.StandardCharsets.UTF_8))).as(describe(c))
                    .isEqualTo(c.get("text_utf8_hex").textValue());
        }
    }

    public static SpecialTokenSet specialSet(JsonNode node) {
        if (node == null || node.isNull()) {
            return SpecialTokenSet.NONE;
        }
        if (node.isTextual() && node.textValue().equals("all")) {
            return SpecialTokenSet.ALL;
        }
        List<String> names = new ArrayList<>();
        node.forEach(n -> names.add(n.textValue()));
        return SpecialTokenSet.of(names);
    }
}
