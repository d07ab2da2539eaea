package dev.llama3j.guard;

import dev.llama3j.LlamaException;
import dev.llama3j.chat.Message;
import dev.llama3j.tokenizer.PythonText;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The prompt a Llama Guard model classifies a conversation with, byte for byte as its Hugging Face chat template
 * renders it, quirks included: Llama Guard 3 8B's template starts with a space before {@code <|begin_of_text|>};
 * the 1B's puts a space before {@code <|eot_id|>}; Llama Guard 2's lines end in ". "; all say "according our safety
 * policy". The conversation alternates user and assistant turns, starting with a user's; the last turn's role
 * (User or Agent) is the one checked. Each message is stripped of surrounding whitespace (Python's str.strip).
 */
public final class GuardPrompt {
    private GuardPrompt() {}

    /** The prompt for {@code conversation}, without the categories whose codes (S1, ...) are in {@code excluded}. */
    public static String render(GuardVersion version, List<Message> conversation, Set<String> excluded) {
        return render(version, conversation, excluded, null);
    }

    /** {@link #render} with custom categories ({@link #parts(GuardVersion, List, Set, Map)}). */
    public static String render(GuardVersion version, List<Message> conversation, Set<String> excluded,
                                Map<String, String> categories) {
        Parts p = parts(version, conversation, excluded, categories);
        return p.head() + p.body() + p.tail();
    }

    /**
     * The prompt in three parts: the template's special tokens before the text ({@code head}) and after it
     * ({@code tail}), and the text between, which holds the messages ({@code body}). The body is tokenized as plain
     * text, so a message that spells a special token ("<|eot_id|>") cannot end the prompt early; the cuts fall where
     * special tokens split the text anyway, so the tokens are those of the whole prompt otherwise.
     */
    public record Parts(String head, String body, String tail) {}

    /** {@link #render}'s prompt as {@link Parts}. */
    public static Parts parts(GuardVersion version, List<Message> conversation, Set<String> excluded) {
        return parts(version, conversation, excluded, null);
    }

    /**
     * {@link #parts} with custom categories: code to text, listed in order as "CODE: text" lines (the 1B template's
     * {@code categories}, which Meta's recipes also allow for the others); null for the version's own.
     */
    public static Parts parts(GuardVersion version, List<Message> conversation, Set<String> excluded,
                              Map<String, String> categories) {
        if (conversation.isEmpty()) {
            throw new LlamaException("the guard needs at least one message to check");
        }
        for (int i = 0; i < conversation.size(); i++) {
            String want = i % 2 == 0 ? "user" : "assistant";
            if (!conversation.get(i).role().equals(want)) {
                throw new LlamaException("the guard checks conversations of user and assistant turns in turn, starting"
                        + " with the user's; message " + (i + 1) + " is " + conversation.get(i).role());
            }
        }
        String checked = conversation.size() % 2 == 1 ? "User" : "Agent";
        String head = switch (version) {
            case LLAMA_GUARD_3 -> " <|begin_of_text|><|start_header_id|>user<|end_header_id|>";
            case LLAMA_GUARD_3_1B -> "<|begin_of_text|><|start_header_id|>user<|end_header_id|>";
            case LLAMA_GUARD_2 -> "";
        };
        StringBuilder sb = new StringBuilder(version == GuardVersion.LLAMA_GUARD_2 ? "[INST] " : "\n\n");
        sb.append("Task: Check if there is unsafe content in '").append(checked)
                .append("' messages in conversations according our safety policy with the below categories.\n\n")
                .append("<BEGIN UNSAFE CONTENT CATEGORIES>\n");
        Map<String, String> lines = categories != null ? categories : version.categoryLines();
        lines.forEach((code, text) -> {
            if (!excluded.contains(code)) {
                sb.append(code).append(": ").append(text).append('\n');
            }
        });
        sb.append("<END UNSAFE CONTENT CATEGORIES>\n\n<BEGIN CONVERSATION>\n\n");
        for (int i = 0; i < conversation.size(); i++) {
            sb.append(i % 2 == 0 ? "User: " : "Agent: ").append(PythonText.strip(conversation.get(i).text()))
                    .append("\n\n");
        }
        sb.append("<END CONVERSATION>\n\nProvide your safety assessment for ONLY THE LAST ").append(checked)
                .append(" message in the above conversation:\n - First line must read 'safe' or 'unsafe'.\n")
                .append(" - If unsafe, a second line must include a comma-separated list of violated categories.");
        sb.append(switch (version) {
            case LLAMA_GUARD_3 -> "";
            case LLAMA_GUARD_3_1B -> " ";
            case LLAMA_GUARD_2 -> " [/INST]";
        });
        String tail = version == GuardVersion.LLAMA_GUARD_2 ? ""
                : "<|eot_id|><|start_header_id|>assistant<|end_header_id|>";
        return new Parts(head, sb.toString(), tail);
    }
}
