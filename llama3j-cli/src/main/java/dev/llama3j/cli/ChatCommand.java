package dev.llama3j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llama3j.LlamaException;
import dev.llama3j.chat.DialogJson;
import dev.llama3j.chat.Message;
import dev.llama3j.chat.ToolFormat;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.TokenListener;
import dev.llama3j.guard.GuardVerdict;
import dev.llama3j.model.Sequence;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code llama3j chat}: Meta's example_chat_completion.py with --dialogs, otherwise an interactive chat. */
@Command(name = "chat", mixinStandardHelpOptions = true,
        customSynopsis = "llama3j chat --ckpt-dir=PATH [--dialogs=FILE] [OPTION...]",
        description = {"Answers chat dialogs, or chats interactively.",
                "With --dialogs, answers every dialog of the file as one batch and prints them as Meta's "
                        + "example_chat_completion.py does. The file holds a JSON list of dialogs, each a list of "
                        + "{\"role\", \"content\"} messages.",
                "Without --dialogs: type a message and read the streamed answer; /reset starts over, /exit (or the end "
                        + "of the input) quits. When the conversation outgrows --max-seq-len, its oldest turns are "
                        + "forgotten.",
                "With --tools: an answer that calls tools prints one JSON line per call ({\"id\", \"name\", "
                        + "\"arguments\"}); type each call's result on one line (JSON, or else text) and the model "
                        + "goes on, as in OpenAI's tool loop. Answers are shown once complete, not streamed."})
final class ChatCommand implements Callable<Integer> {

    @Mixin
    GenerationOptions options;

    @Option(names = {"--max-seq-len", "--max_seq_len"}, defaultValue = "512", paramLabel = "N",
            description = "KV cache length: dialog and answer tokens (default: ${DEFAULT-VALUE})")
    int maxSeqLen;

    @Option(names = {"--max-gen-len", "--max_gen_len"}, paramLabel = "N",
            description = "most tokens per answer (default: --max-seq-len - 1)")
    Integer maxGenLen;

    @Option(names = "--dialogs", paramLabel = "FILE", description = "JSON file with a list of dialogs to answer")
    Path dialogsFile;

    @Option(names = "--system", paramLabel = "TEXT", description = "system prompt for the interactive chat")
    String system;

    @Mixin
    GuardOptions guardOptions = new GuardOptions();

    @Option(names = "--tools", paramLabel = "FILE", description = "OpenAI tools (a JSON list of {\"type\": "
            + "\"function\", \"function\": {name, description, parameters}}) the model may call; each call prints as"
            + " a JSON line and its result is read as one line (Llama 3.1+ models)")
    Path toolsFile;

    @Mixin
    ToolFormatOption toolFormat = new ToolFormatOption();

    @Option(names = "--verbose-prompt", description = "print each prompt, special tokens spelled out, on stderr")
    boolean verbosePrompt;

    @Override
    public Integer call() throws IOException {
        ToolFormat format = toolFormat.format();
        if (toolsFile != null || format != ToolFormat.AUTO) {
            if (toolsFile == null) {
                throw new LlamaException("--tool-format needs --tools FILE");
            }
            if (dialogsFile != null) {
                throw new LlamaException("--tools works in the interactive chat, not with --dialogs");
            }
            if (guardOptions.model != null) {
                throw new LlamaException("--guard does not screen tool calls yet: leave out --tools or --guard");
            }
            JsonNode tools = ToolsFile.read(toolsFile);
            options.check(maxSeqLen, maxGenLen, 1, "dialogs");
            try (Llama llama = options.build(maxSeqLen, 1); Sequence conversation = llama.newSequence()) {
                return new ToolChat(this, llama, format, tools, toolsFile).run(conversation);
            }
        }
        if (dialogsFile != null) {
            List<List<Message>> dialogs = readDialogs(dialogsFile);
            options.check(maxSeqLen, maxGenLen, dialogs.size(), "dialogs");
            return batch(dialogs);
        }
        options.check(maxSeqLen, maxGenLen, 1, "dialogs");
        return interactive();
    }

    static List<List<Message>> readDialogs(Path file) throws IOException {
        JsonNode root = StrictUtf8.readJsonFile(file, "dialogs file");
        if (root == null || !root.isArray()) {
            throw new LlamaException(file + ": expected a JSON list of dialogs (each a list of {\"role\", \"content\"})");
        }
        List<List<Message>> dialogs = new ArrayList<>();
        for (JsonNode d : root) {
            try {
                dialogs.add(DialogJson.parse(d));
            } catch (LlamaException e) {
                throw new LlamaException(file + ": dialog " + (dialogs.size() + 1) + ": " + e.getMessage());
            }
        }
        if (dialogs.isEmpty()) {
            throw new LlamaException(file + ": no dialogs");
        }
        return dialogs;
    }

    private int batch(List<List<Message>> dialogs) {
        PrintStream out = System.out;
        try (GuardOptions.Session guard = guardOptions.open(maxSeqLen); Llama llama = options.build(maxSeqLen)) {
            // a dialog whose last message the guard refuses is not answered
            String[] refused = new String[dialogs.size()];
            List<List<Message>> answered = new ArrayList<>();
            for (int i = 0; i < dialogs.size(); i++) {
                GuardVerdict v = guard != null && guard.input() ? guard.checkInput(dialogs.get(i)) : null;
                if (v != null && !v.safe()) {
                    refused[i] = GuardOptions.Session.refusal("refused", v);
                } else {
                    answered.add(dialogs.get(i));
                }
            }
            answered.forEach(d -> printPrompt(llama, d));
            List<Llama.ChatPrediction> results = answered.isEmpty() ? List.of()
                    : llama.chatCompletion(answered, options.temperature, options.topP, maxGenLen, options.logprobs,
                    TokenListener.NONE);
            int next = 0;
            for (int i = 0; i < dialogs.size(); i++) {
                for (Message m : dialogs.get(i)) {
                    out.println(capitalize(m.role()) + ": " + m.text() + "\n");
                }
                if (refused[i] != null) {
                    out.println("> Assistant: " + refused[i]);
                    out.println("\n==================================\n");
                    continue;
                }
                Llama.ChatPrediction r = results.get(next++);
                String text = r.generation().text();
                if (guard != null && guard.output()) {
                    GuardVerdict v = guard.checkOutput(dialogs.get(i), text);
                    text = v.safe() ? text : GuardOptions.Session.refusal("withheld", v);
                }
                out.println("> " + capitalize(r.generation().role()) + ": " + text);
                Output.printLogprobs(out, r.tokens(), r.logprobs());
                out.println("\n==================================\n");
            }
            out.flush();
            if (options.timing) {
                Output.printTiming(System.err, llama, llama.lastStats(), true);
            }
        }
        return 0;
    }

    /** Exit status 1 when a message was rejected (too long, not UTF-8), though the conversation went on. */
    private int interactive() throws IOException {
        PrintStream out = System.out;
        StrictUtf8.LineReader in = new StrictUtf8.LineReader(System.in, "stdin");
        boolean rejected = false;
        try (GuardOptions.Session guard = guardOptions.open(maxSeqLen); Llama llama = options.build(maxSeqLen, 1);
             Sequence conversation = llama.newSequence()) {
            List<Message> dialog = new ArrayList<>();
            if (system != null) {
                dialog.add(Message.system(system));
            }
            int fixed = dialog.size();
            boolean firstTurn = true;
            out.println("llama3j chat: type a message; /reset starts over, /exit quits.");
            while (true) {
                out.print("\nYou: ");
                out.flush();
                String line;
                try {
                    line = in.readLine();
                } catch (LlamaException e) {
                    out.println();
                    System.err.println("llama3j: " + e.getMessage() + "; message skipped");
                    rejected = true;
                    continue;
                }
                if (line == null || line.strip().equals("/exit")) {
                    out.println();
                    break;
                }
                if (line.strip().equals("/reset")) {
                    dialog.subList(fixed, dialog.size()).clear();
                    out.println("(conversation cleared)");
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                dialog.add(Message.user(line));
                Llama.ChatPrediction r;
                try {
                    dropOldTurns(llama, dialog, fixed);
                    out.print("Assistant: ");
                    out.flush();
                    GuardVerdict asked = guard != null && guard.input() ? guard.checkInput(dialog) : null;
                    if (asked != null && !asked.safe()) {
                        // the main model does not see a refused message
                        dialog.remove(dialog.size() - 1);
                        out.println(GuardOptions.Session.refusal("refused", asked));
                        continue;
                    }
                    // a screened answer is shown once the guard has passed it, not streamed
                    boolean screened = guard != null && guard.output();
                    Output.Streamer streamer = screened ? null : new Output.Streamer(llama, out);
                    int budget = maxGenLen != null ? maxGenLen : maxSeqLen - 1;
                    printPrompt(llama, dialog);
                    r = llama.chatTurn(conversation, dialog, options.temperature, options.topP, budget,
                            options.logprobs, screened ? TokenListener.NONE : streamer);
                    if (screened) {
                        GuardVerdict v = guard.checkOutput(dialog, r.generation().text());
                        if (!v.safe()) {
                            dialog.remove(dialog.size() - 1);
                            out.println(GuardOptions.Session.refusal("withheld", v));
                            continue;
                        }
                        out.print(r.generation().text());
                    } else {
                        streamer.finish();
                    }
                } catch (LlamaException e) {
                    // one bad turn (say, a message longer than the context) must not end the conversation
                    dialog.remove(dialog.size() - 1);
                    out.println();
                    System.err.println("llama3j: " + e.getMessage());
                    rejected = true;
                    continue;
                }
                out.println();
                Output.printLogprobs(out, r.tokens(), r.logprobs());
                dialog.add(r.generation());
                if (options.timing) {
                    Output.printTiming(System.err, llama, llama.lastStats(), firstTurn);
                }
                firstTurn = false;
            }
        }
        return rejected ? UserErrors.EXIT_USER_ERROR : 0;
    }

    private boolean toldOfDroppedTurns;

    /**
     * Forgets the oldest exchanges (never the system prompt) until the dialog leaves room for an answer; says so
     * on stderr the first time.
     */
    private void dropOldTurns(Llama llama, List<Message> dialog, int fixed) {
        int room = Math.max(1, Math.min(maxSeqLen / 4, 256));
        while (llama.promptLength(dialog) > maxSeqLen - room) {
            if (dialog.size() - fixed <= 1) {
                throw new LlamaException("the message is too long for --max-seq-len " + maxSeqLen + "; message skipped");
            }
            if (!toldOfDroppedTurns) {
                System.err.println("llama3j: the conversation outgrew --max-seq-len " + maxSeqLen
                        + ": its oldest turns are forgotten from now on");
                toldOfDroppedTurns = true;
            }
            dialog.remove(fixed);
            if (dialog.size() > fixed + 1 && !dialog.get(fixed).role().equals("user")) {
                dialog.remove(fixed);
            }
        }
    }

    /** With --verbose-prompt, the dialog's prompt on stderr. */
    private void printPrompt(Llama llama, List<Message> dialog) {
        if (verbosePrompt) {
            int[] prompt = llama.chatFormat().encodeDialogPrompt(dialog);
            System.err.println("llama3j: prompt: " + llama.tokenizer().decode(prompt));
        }
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1).toLowerCase(java.util.Locale.ROOT);
    }
}
