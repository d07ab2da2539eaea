package dev.llama3j.chat;

import dev.llama3j.LlamaException;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.llama3j.tokenizer.GroundTruth.tokenizer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Chat-format behaviour beyond the reference cases: errors, and the Python value rendering. */
class ChatFormatTest {

    @Test
    void headerAndMessageAreTheDialogsBuildingBlocks() {
        ChatFormat f = ChatFormat.llama3(tokenizer());
        // chat-cases.jsonl "single": <bos> <start>user<end>\n\nHello!<eot> <start>assistant<end>\n\n
        assertThat(f.encodeHeader("user")).containsExactly(128006, 882, 128007, 271);
        int[] dialog = f.encodeDialogPrompt(List.of(Message.user("  Hello!\n")));
        int[] message = f.encodeMessage(Message.user("Hello!"));
        assertThat(dialog[0]).isEqualTo(128000);
        assertThat(java.util.Arrays.copyOfRange(dialog, 1, 1 + message.length)).containsExactly(message);
        assertThat(message[message.length - 1]).isEqualTo(128009);
    }

    @Test
    void llamaModelsRejectsUnknownRoles() {
        ChatFormat f = ChatFormat.llamaModels(tokenizer(), ToolPromptFormat.JSON);
        assertThatThrownBy(() -> f.encodeDialogPrompt(List.of(new Message("narrator", "x"))))
                .isInstanceOf(LlamaException.class)
                .hasMessage("unknown role 'narrator' in dialog: expected system, user, assistant, tool (or ipython)");
        // "ipython" is the rendered name of "tool": both give the same header
        assertThat(f.encodeHeader("ipython")).containsExactly(f.encodeHeader("tool"));
    }

    @Test
    void llama3RefusesWhatItCannotRender() {
        ChatFormat f = ChatFormat.llama3(tokenizer());
        Message withCall = new Message("assistant", List.of(new Message.Content.Text("")), null, StopReason.END_OF_MESSAGE,
                List.of(new Message.ToolCall("brave_search", Map.of("query", "x"))));
        assertThatThrownBy(() -> f.encodeMessage(withCall)).isInstanceOf(LlamaException.class).hasMessageContaining("tool_calls");
        assertThatThrownBy(() -> f.encodeMessage(new Message("user", List.of(new Message.Content.Image()), null, null, List.of())))
                .isInstanceOf(LlamaException.class).hasMessageContaining("plain text");
    }

    @Test
    void unknownFormatNamesAreErrors() {
        // the name is checked before the tokenizer is used: none is needed (so no ../shared either)
        assertThatThrownBy(() -> ChatFormat.forName("chatml", null, ToolPromptFormat.JSON))
                .isInstanceOf(LlamaException.class).hasMessageContaining("chatml");
        assertThatThrownBy(() -> ToolPromptFormat.fromJsonName("xml")).isInstanceOf(LlamaException.class);
        assertThatThrownBy(() -> StopReason.fromJsonName("done")).isInstanceOf(LlamaException.class);
    }

    @Test
    void floatsRenderAsPythonRepr() {
        // values checked against CPython 3.11 repr()
        assertThat(PythonLiterals.floatRepr(0.5)).isEqualTo("0.5");
        assertThat(PythonLiterals.floatRepr(1.0)).isEqualTo("1.0");
        assertThat(PythonLiterals.floatRepr(-0.0)).isEqualTo("-0.0");
        assertThat(PythonLiterals.floatRepr(0.1 + 0.2)).isEqualTo("0.30000000000000004");
        assertThat(PythonLiterals.floatRepr(1e15)).isEqualTo("1000000000000000.0");
        assertThat(PythonLiterals.floatRepr(1e16)).isEqualTo("1e+16");
        assertThat(PythonLiterals.floatRepr(123456789012345678.0)).isEqualTo("1.2345678901234568e+17");
        assertThat(PythonLiterals.floatRepr(0.0001)).isEqualTo("0.0001");
        assertThat(PythonLiterals.floatRepr(0.00001)).isEqualTo("1e-05");
        assertThat(PythonLiterals.floatRepr(1.5e-300)).isEqualTo("1.5e-300");
        assertThat(PythonLiterals.floatRepr(Double.POSITIVE_INFINITY)).isEqualTo("inf");
    }

    @Test
    void jsonDumpsEscapesLikePython() {
        // json.dumps defaults: ensure_ascii (lower-case \\u, surrogate pairs), ", " and ": " separators
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("s", "Zürich \"q\" \\ \n\t\u007f😀");
        args.put("n", List.of(1, 2.5, true, false));
        args.put("z", null);
        args.put("o", Map.of());
        assertThat(PythonLiterals.jsonDumps(args)).isEqualTo(
                "{\"s\": \"Z\\u00fcrich \\\"q\\\" \\\\ \\n\\t\\u007f\\ud83d\\ude00\", \"n\": [1, 2.5, true, false],"
                        + " \"z\": null, \"o\": {}}");
        // the python_list format writes strings raw and scalars as str()
        assertThat(PythonLiterals.keywordArguments(args)).isEqualTo(
                "s=\"Zürich \"q\" \\ \n\t\u007f😀\", n=[1, 2.5, True, False], z=None, o={}");
    }
}
