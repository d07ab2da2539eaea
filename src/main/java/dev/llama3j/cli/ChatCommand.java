package dev.llama3j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.LlamaException;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.TokenListener;
import dev.llama3j.tokenizer.DialogJson;
import dev.llama3j.tokenizer.Message;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code llama3j chat}: Meta's example_chat_completion.py with --dialogs, otherwise an interactive chat. */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"With --dialogs FILE (a JSON list of dialogs, each a list of {\"role\", \"content\"}), answers",
                "every dialog as one batch and prints like Meta's example_chat_completion.py.",
                "Without it, an interactive chat: type a message, read the streamed answer; /reset starts over,",
                "/exit (or end of input) quits."})
final class ChatCommand implements Callable<Integer> {

    @Mixin
    GenerationOptions options;

    @Option(names = "--max-seq-len", defaultValue = "512", description = "KV cache length (default: ${DEFAULT-VALUE})")
    int maxSeqLen;

    @Option(names = "--max-gen-len", description = "most tokens per answer (default: max-seq-len - 1)")
    Integer maxGenLen;

    @Option(names = "--dialogs", paramLabel = "FILE", description = "JSON file with a list of dialogs")
    Path dialogsFile;

    @Option(names = "--system", paramLabel = "TEXT", description = "system prompt for the interactive chat")
    String system;

    @Override
    public Integer call() throws IOException {
        if (dialogsFile != null) {
            return batch(readDialogs(dialogsFile));
        }
        return interactive();
    }

    static List<List<Message>> readDialogs(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new LlamaException("dialogs file " + file + " does not exist");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new LlamaException(file + ": invalid JSON: " + e.getOriginalMessage());
        }
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
        try (Llama llama = options.build(maxSeqLen)) {
            List<Llama.ChatPrediction> results = llama.chatCompletion(dialogs, options.temperature, options.topP,
                    maxGenLen, options.logprobs, TokenListener.NONE);
            for (int i = 0; i < dialogs.size(); i++) {
                for (Message m : dialogs.get(i)) {
                    out.println(capitalize(m.role()) + ": " + m.text() + "\n");
                }
                Llama.ChatPrediction r = results.get(i);
                out.println("> " + capitalize(r.generation().role()) + ": " + r.generation().text());
                Output.printLogprobs(out, r.tokens(), r.logprobs());
                out.println("\n==================================\n");
            }
            out.flush();
            if (options.timing) {
                Output.printTiming(System.err, llama, llama.lastStats());
            }
        }
        return 0;
    }

    private int interactive() throws IOException {
        PrintStream out = System.out;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Llama llama = options.build(maxSeqLen, 1)) {
            List<Message> dialog = new ArrayList<>();
            if (system != null) {
                dialog.add(Message.system(system));
            }
            int fixed = dialog.size();
            out.println("llama3j chat: type a message; /reset starts over, /exit quits.");
            while (true) {
                out.print("\nYou: ");
                out.flush();
                String line = in.readLine();
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
                    Output.Streamer streamer = new Output.Streamer(llama, out);
                    int budget = maxGenLen != null ? maxGenLen : maxSeqLen - 1;
                    r = llama.chatCompletion(List.of(dialog), options.temperature, options.topP, budget,
                            options.logprobs, streamer).get(0);
                    streamer.finish();
                } catch (LlamaException e) {
                    // one bad turn (say, a message longer than the context) must not end the conversation
                    dialog.remove(dialog.size() - 1);
                    out.println();
                    System.err.println("llama3j: " + e.getMessage());
                    continue;
                }
                out.println();
                Output.printLogprobs(out, r.tokens(), r.logprobs());
                dialog.add(r.generation());
                if (options.timing) {
                    Output.printTiming(System.err, llama, llama.lastStats());
                }
            }
        }
        return 0;
    }

    /** Forgets the oldest exchanges (never the system prompt) until the dialog leaves room for an answer. */
    private void dropOldTurns(Llama llama, List<Message> dialog, int fixed) {
        int room = Math.max(1, Math.min(maxSeqLen / 4, 256));
        while (llama.promptLength(dialog) > maxSeqLen - room) {
            if (dialog.size() - fixed <= 1) {
                throw new LlamaException("the message is too long for --max-seq-len " + maxSeqLen);
            }
            dialog.remove(fixed);
            if (dialog.size() > fixed + 1 && !dialog.get(fixed).role().equals("user")) {
                dialog.remove(fixed);
            }
        }
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1).toLowerCase(java.util.Locale.ROOT);
    }
}
