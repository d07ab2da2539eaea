package dev.llama3j.chat;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * OpenAI-shaped messages and tools as a dialog of the llama-models chat format, for the formats that the Hugging
 * Face template does not write: function-tag (as llama-models' 3.1 prompt format shows it: the environment and
 * dates in the system message, the tool instructions in a user message of their own) and 3.2's pythonic one (the
 * instructions are the system message). Tool results are written as the template writes them (strings through
 * tojson).
 */
final class ToolDialog {
    private ToolDialog() {}

    static List<Message> functionTag(JsonNode messages, JsonNode tools, String date) {
        List<JsonNode> rest = new ArrayList<>();
        messages.forEach(rest::add);
        String system = takeSystem(rest);
        boolean hasTools = tools != null && !tools.isEmpty();
        List<Message> dialog = new ArrayList<>();
        dialog.add(Message.system((hasTools ? "Environment: ipython\n\n" : "")
                + "Cutting Knowledge Date: December 2023\nToday Date: " + date + "\n\n" + system));
        if (hasTools) {
            dialog.add(Message.user(CustomToolPrompts.functionTag(tools)));
        }
        addMessages(rest, false, dialog);
        return dialog;
    }

    static List<Message> pythonic(JsonNode messages, JsonNode tools) {
        List<JsonNode> rest = new ArrayList<>();
        messages.forEach(rest::add);
        String system = takeSystem(rest);
        List<Message> dialog = new ArrayList<>();
        if (tools != null && !tools.isEmpty()) {
            // the caller's system message after the functions
            dialog.add(Message.system(CustomToolPrompts.pythonic(tools) + (system.isEmpty() ? "" : "\n\n" + system)));
        } else if (!system.isEmpty()) {
            dialog.add(Message.system(system));
        }
        addMessages(rest, true, dialog);
        return dialog;
    }

    /** The text of a leading system message, removed from {@code rest}; "" when there is none. */
    private static String takeSystem(List<JsonNode> rest) {
        if (!rest.isEmpty() && "system".equals(rest.getFirst().path("role").asText())) {
            return HfToolTemplate.text(rest.removeFirst().get("content"));
        }
        return "";
    }

    /** @param oneList the calls of a message as one Python list, the way 3.2 answers (else llama-models' calls) */
    private static void addMessages(List<JsonNode> messages, boolean oneList, List<Message> dialog) {
        for (JsonNode m : messages) {
            String role = m.path("role").asText();
            String text = HfToolTemplate.text(m.get("content"));
            JsonNode calls = m.path("tool_calls");
            if (role.equals("tool") || role.equals("ipython")) {
                dialog.add(new Message("ipython", HfToolTemplate.toolResult(m.get("content"))));
            } else if (role.equals("assistant") && calls.isArray() && !calls.isEmpty()) {
                List<Message.ToolCall> toolCalls = new ArrayList<>();
                for (JsonNode c : calls) {
                    JsonNode fn = c.path("function");
                    JsonNode args = fn.path("arguments");
                    @SuppressWarnings("unchecked")
                    Map<String, Object> arguments = args.isObject() ? (Map<String, Object>) ToolCallParser.value(args)
                            : Map.of();
                    toolCalls.add(new Message.ToolCall(fn.path("name").asText(), arguments));
                }
                dialog.add(oneList ? Message.assistant(text + pythonList(toolCalls))
                        : new Message("assistant", List.of(new Message.Content.Text(text)), null,
                        StopReason.END_OF_TURN, toolCalls));
            } else {
                dialog.add(new Message(role, text));
            }
        }
    }

    /** {@code [f(a=1), g(b="x")]}: each call as llama-models writes a python_list call. */
    private static String pythonList(List<Message.ToolCall> calls) {
        List<String> each = new ArrayList<>();
        for (Message.ToolCall c : calls) {
            each.add(c.toolName() + "(" + PythonLiterals.keywordArguments(c.arguments()) + ")");
        }
        return "[" + String.join(", ", each) + "]";
    }
}
