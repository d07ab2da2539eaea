package dev.llama3j.cli;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.LlamaException;
import dev.llama3j.chat.Message;
import dev.llama3j.chat.SpelledSpecialTokens;
import dev.llama3j.chat.ToolFormat;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.TokenListener;
import dev.llama3j.model.Sequence;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The interactive chat with tools ({@code chat --tools}), OpenAI's loop on a terminal: the conversation is kept as
 * OpenAI messages and prompted as the server prompts them ({@link Llama#toolPrompt}); an answer that holds calls
 * is printed as one JSON line per call, and the user answers each with one line, its result (JSON, or else text),
 * which goes back as a tool turn before the model goes on. An answer without calls is plain text, as in the chat.
 */
final class ToolChat {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ChatCommand chat;
    private final Llama llama;
    private final ToolFormat format;
    private final JsonNode tools;
    private final Path toolsFile;
    private final PrintStream out = System.out;
    private final ArrayNode messages = JSON.createArrayNode();
    private Sequence conversation;
    private int fixed;
    private int callCount;
    private boolean rejected;
    private boolean toldOfDroppedTurns;

    ToolChat(ChatCommand chat, Llama llama, ToolFormat format, JsonNode tools, Path toolsFile) {
        this.chat = chat;
        this.llama = llama;
        this.format = format;
        this.tools = tools;
        this.toolsFile = toolsFile;
    }

    /** Exit status 1 when a message was rejected (too long, not UTF-8), though the conversation went on. */
    int run(Sequence conversation) throws IOException {
        this.conversation = conversation;
        llama.checkToolSupport();
        String special = firstSpecialToken(tools);
        if (special != null) {
            throw new LlamaException(toolsFile + ": holds the special token " + special);
        }
        StrictUtf8.LineReader in = new StrictUtf8.LineReader(System.in, "stdin");
        if (chat.system != null) {
            messages.add(message("system", chat.system));
        }
        fixed = messages.size();
        boolean firstTurn = true;
        out.println("llama3j chat: type a message; /reset starts over, /exit quits. A tool call prints as a JSON line;"
                + " answer each with its result on one line (JSON or text).");
        while (true) {
            out.print("\nYou: ");
            out.flush();
            String line = readLine(in);
            if (line == null || line.strip().equals("/exit")) {
                out.println();
                break;
            }
            if (line.strip().equals("/reset")) {
                reset();
                continue;
            }
            if (line.isBlank() || !accepted(line)) {
                continue;
            }
            int before = messages.size();
            messages.add(message("user", line));
            // the model answers until an answer holds no calls; each call's result comes from the user
            while (true) {
                Llama.ChatPrediction r = answer(before, firstTurn);
                if (r == null) {
                    break;
                }
                firstTurn = false;
                String text = r.generation().text();
                List<Message.ToolCall> calls = format.parse(text);
                out.print("Assistant: ");
                if (calls.isEmpty()) {
                    out.println(text);
                    Output.printLogprobs(out, r.tokens(), r.logprobs());
                    messages.add(message("assistant", text));
                    break;
                }
                out.println();
                Output.printLogprobs(out, r.tokens(), r.logprobs());
                List<ObjectNode> called = new ArrayList<>();
                for (Message.ToolCall c : calls) {
                    ObjectNode call = JSON.createObjectNode().put("id", "call_" + ++callCount)
                            .put("name", c.toolName());
                    call.set("arguments", JSON.valueToTree(c.arguments()));
                    out.println(JSON.writeValueAsString(call));
                    called.add(call);
                }
                List<JsonNode> results = new ArrayList<>();
                for (ObjectNode call : called) {
                    JsonNode result = readResult(in, call.get("id").asText());
                    if (result == null) {
                        out.println();
                        return rejected ? UserErrors.EXIT_USER_ERROR : 0;
                    }
                    if (result.isMissingNode()) {
                        break;
                    }
                    results.add(result);
                }
                if (results.size() < called.size()) {
                    reset();
                    break;
                }
                addCallsAndResults(called, results);
            }
        }
        return rejected ? UserErrors.EXIT_USER_ERROR : 0;
    }

    /** The next answer, or null when the turn failed (the dialog is back where it was before the user's message). */
    private Llama.ChatPrediction answer(int before, boolean firstTurn) {
        try {
            int[] prompt = fitted();
            if (chat.verbosePrompt) {
                System.err.println("llama3j: prompt: " + llama.tokenizer().decode(prompt));
            }
            int budget = chat.maxGenLen != null ? chat.maxGenLen : chat.maxSeqLen - 1;
            GenerationOptions o = chat.options;
            Llama.ChatPrediction r = llama.chatTurn(conversation, prompt, o.temperature, o.topP, budget,
                    o.logprobs, TokenListener.NONE);
            if (o.timing) {
                Output.printTiming(System.err, llama, llama.lastStats(), firstTurn);
            }
            return r;
        } catch (LlamaException e) {
            // one bad turn (say, a message longer than the context) must not end the conversation
            while (messages.size() > Math.max(before, fixed)) {
                messages.remove(messages.size() - 1);
            }
            System.err.println("llama3j: " + e.getMessage());
            rejected = true;
            return null;
        }
    }

    /**
     * OpenAI's messages for the calls and their results: one assistant message with all calls where the format
     * writes several in one answer, else (the 3.1 template takes one call per message) a call and its result each.
     */
    private void addCallsAndResults(List<ObjectNode> called, List<JsonNode> results) {
        List<ObjectNode> openAi = new ArrayList<>();
        for (ObjectNode call : called) {
            ObjectNode c = JSON.createObjectNode().put("id", call.get("id").asText()).put("type", "function");
            c.putObject("function").put("name", call.get("name").asText()).set("arguments", call.get("arguments"));
            openAi.add(c);
        }
        if (format.severalCallsPerMessage()) {
            ObjectNode assistant = message("assistant", "");
            openAi.forEach(assistant.putArray("tool_calls")::add);
            messages.add(assistant);
        }
        for (int i = 0; i < called.size(); i++) {
            if (!format.severalCallsPerMessage()) {
                ObjectNode assistant = message("assistant", "");
                assistant.putArray("tool_calls").add(openAi.get(i));
                messages.add(assistant);
            }
            messages.add(message("tool", null).put("tool_call_id", called.get(i).get("id").asText())
                    .set("content", results.get(i)));
        }
    }

    /**
     * A call's result typed by the user: JSON where the line is JSON, else the text; null at the end of the input
     * or on /exit, a missing node on /reset.
     */
    private JsonNode readResult(StrictUtf8.LineReader in, String id) throws IOException {
        while (true) {
            out.print("Result " + id + ": ");
            out.flush();
            String line = readLine(in);
            if (line == null || line.strip().equals("/exit")) {
                return null;
            }
            if (line.strip().equals("/reset")) {
                return JSON.missingNode();
            }
            if (!accepted(line)) {
                continue;
            }
            try {
                JsonNode value = JSON.readTree(line);
                if (value != null && !value.isMissingNode()) {
                    return value;
                }
            } catch (JacksonException e) {
                // not JSON: the result is the text
            }
            return JSON.getNodeFactory().textNode(line);
        }
    }

    /** A line of stdin; one that is not UTF-8 is skipped with a message (and counts as rejected). */
    private String readLine(StrictUtf8.LineReader in) throws IOException {
        while (true) {
            try {
                return in.readLine();
            } catch (LlamaException e) {
                out.println();
                System.err.println("llama3j: " + e.getMessage() + "; line skipped");
                rejected = true;
            }
        }
    }

    /** The template's text is tokenized with its special tokens, so a typed line must not spell one. */
    private boolean accepted(String line) {
        String special = firstSpecialToken(JSON.getNodeFactory().textNode(line));
        if (special != null) {
            System.err.println("llama3j: the line holds the special token " + special + "; line skipped");
            rejected = true;
            return false;
        }
        return true;
    }

    private void reset() {
        while (messages.size() > fixed) {
            messages.remove(messages.size() - 1);
        }
        out.println("(conversation cleared)");
    }

    /**
     * The prompt, once the oldest exchanges (never the system prompt) are forgotten until it leaves room for an
     * answer; says so on stderr the first time.
     */
    private int[] fitted() {
        int room = Math.max(1, Math.min(chat.maxSeqLen / 4, 256));
        while (true) {
            int[] prompt = llama.toolPrompt(format, messages, tools);
            if (prompt.length <= chat.maxSeqLen - room) {
                return prompt;
            }
            if (messages.size() - fixed <= 1 || !hasLaterUserMessage()) {
                throw new LlamaException("the conversation with its tools (" + prompt.length + " tokens) is too long"
                        + " for --max-seq-len " + chat.maxSeqLen + "; message skipped");
            }
            if (!toldOfDroppedTurns) {
                System.err.println("llama3j: the conversation outgrew --max-seq-len " + chat.maxSeqLen
                        + ": its oldest turns are forgotten from now on");
                toldOfDroppedTurns = true;
            }
            // up to the next user message, so that no call loses its result or a result its call
            do {
                messages.remove(fixed);
            } while (!"user".equals(messages.get(fixed).path("role").asText()));
        }
    }

    private boolean hasLaterUserMessage() {
        for (int i = fixed + 1; i < messages.size(); i++) {
            if ("user".equals(messages.get(i).path("role").asText())) {
                return true;
            }
        }
        return false;
    }

    /** The first special token's name spelled in any string of {@code node} (keys too), or null. */
    private String firstSpecialToken(JsonNode node) {
        return SpelledSpecialTokens.first(llama.tokenizer(), node);
    }

    private static ObjectNode message(String role, String content) {
        ObjectNode m = JSON.createObjectNode().put("role", role);
        return content == null ? m : m.put("content", content);
    }
}
