package dev.llama3j.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llama3j.tokenizer.SpecialTokenNames;
import dev.llama3j.tokenizer.SpecialTokenSet;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.llama3j.tokenizer.GroundTruth.cases;
import static dev.llama3j.tokenizer.GroundTruth.describe;
import static dev.llama3j.tokenizer.GroundTruth.ints;
import static dev.llama3j.tokenizer.GroundTruth.tokenizer;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Meta's Hugging Face chat templates for 3.1 and 3.2 with tools, against the texts and ids that transformers'
 * apply_chat_template produced for ../shared/llama3/chat-cases-tools.jsonl.
 */
class HfToolTemplateTest {
    @Test
    void everyCaseRendersAsTheTemplateDid() {
        List<JsonNode> all = cases("chat-cases-tools.jsonl");
        assertThat(all).hasSize(26);
        for (JsonNode c : all) {
            JsonNode tools = c.hasNonNull("tools") ? c.get("tools") : c.get("custom_tools");
            List<String> builtin = null;
            if (c.hasNonNull("builtin_tools")) {
                builtin = new ArrayList<>();
                for (JsonNode t : c.get("builtin_tools")) {
                    builtin.add(t.asText());
                }
            }
            String text = HfToolTemplate.render(c.get("format").asText().startsWith("llama3.2"), c.get("messages"),
                    tools, builtin, c.path("tools_in_user_message").asBoolean(true),
                    c.hasNonNull("date_string") ? c.get("date_string").asText() : HfToolTemplate.DEFAULT_DATE,
                    c.path("add_generation_prompt").asBoolean(false));
            assertThat(text).as(describe(c)).isEqualTo(c.get("text").asText());
            // the 3.1 names of the special tokens (<|python_tag|>, <|eom_id|>)
            assertThat(tokenizer().withNames(SpecialTokenNames.LLAMA_3_1)
                    .encode(text, false, false, SpecialTokenSet.ALL, SpecialTokenSet.NONE))
                    .as(describe(c)).containsExactly(ints(c.get("ids")));
        }
    }
}
