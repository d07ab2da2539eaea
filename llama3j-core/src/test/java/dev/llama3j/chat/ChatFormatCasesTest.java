package dev.llama3j.chat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.llama3j.tokenizer.GroundTruth.cases;
import static dev.llama3j.tokenizer.GroundTruth.describe;
import static dev.llama3j.tokenizer.GroundTruth.ints;
import static dev.llama3j.tokenizer.GroundTruth.tokenizer;
import static org.assertj.core.api.Assertions.assertThat;

/** Every chat case of both formats against Meta's reference ids. */
class ChatFormatCasesTest {

    @Test
    void llama3FormatMatchesEveryCase() {
        List<JsonNode> all = cases("chat-cases.jsonl");
        assertThat(all).hasSize(62);
        ChatFormat format = ChatFormat.llama3(tokenizer());
        for (JsonNode c : all) {
            assertThat(format.encodeDialogPrompt(DialogJson.parse(c.get("dialog"))))
                    .as(describe(c)).containsExactly(ints(c.get("ids")));
        }
    }

    @Test
    void llamaModelsFormatMatchesEveryCase() {
        List<JsonNode> all = cases("chat-cases-llama-models.jsonl");
        assertThat(all).hasSize(16);
        for (JsonNode c : all) {
            ToolPromptFormat tools = c.hasNonNull("tool_prompt_format")
                    ? ToolPromptFormat.fromJsonName(c.get("tool_prompt_format").textValue()) : ToolPromptFormat.JSON;
            ChatFormat format = ChatFormat.forName(c.get("format").textValue(), tokenizer(), tools);
            assertThat(format.encodeDialogPrompt(DialogJson.parse(c.get("dialog"))))
                    .as(describe(c)).containsExactly(ints(c.get("ids")));
        }
    }
}
