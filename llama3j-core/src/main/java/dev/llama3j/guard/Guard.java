package dev.llama3j.guard;

import dev.llama3j.LlamaException;
import dev.llama3j.chat.Message;
import dev.llama3j.generate.Engine;
import dev.llama3j.tokenizer.SpecialTokenSet;
import dev.llama3j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Classifies conversations with a Llama Guard model running on an {@link Engine}: the prompt of
 * {@link GuardPrompt}, a greedy answer of a few tokens, read by {@link GuardVerdict#parse}.
 * The score is the probability of the token "unsafe" at the answer's first non-blank token (the models first write
 * the blank line that their prompt leaves out). Thread-safe: the engine takes checks from any thread.
 */
public final class Guard {
    /** Enough for the blank line, "unsafe", a newline and a handful of category codes. */
    public static final int MAX_TOKENS = 24;

    private final Engine engine;
    private final Tokenizer tokenizer;
    private final GuardVersion version;
    private final Set<String> excluded;
    /** null: the version's own */
    private final Map<String, String> categories;
    private final Engine.Penalties bias;
    private final int unsafeToken;
    private final int maxTokens;

    /**
     * @param excluded  category codes (S1, ...) to leave out of the prompt
     * @param logitBias added to those tokens' logits at every step (llama.cpp's --logit-bias), e.g. for tests
     * @param maxTokens most tokens of an answer ({@link #MAX_TOKENS} is enough)
     */
    public Guard(Engine engine, Tokenizer tokenizer, GuardVersion version, Set<String> excluded,
                 Map<Integer, Float> logitBias, int maxTokens) {
        this(engine, tokenizer, version, null, excluded, logitBias, maxTokens);
    }

    /** As above, with custom categories (code to text, {@link GuardPolicyFile}); null for the version's own. */
    public Guard(Engine engine, Tokenizer tokenizer, GuardVersion version, Map<String, String> categories,
                 Set<String> excluded, Map<Integer, Float> logitBias, int maxTokens) {
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.version = version;
        this.excluded = Set.copyOf(excluded);
        this.categories = categories == null ? null : new java.util.LinkedHashMap<>(categories);
        this.bias = new Engine.Penalties(0f, 0f, logitBias);
        this.unsafeToken = tokenizer.encode("unsafe", false, false)[0];
        this.maxTokens = maxTokens;
        version.checkCodes(excluded, categories);
    }

    public GuardVersion version() {
        return version;
    }

    /** The prompt's text for {@code conversation}. */
    public String prompt(List<Message> conversation) {
        return GuardPrompt.render(version, conversation, excluded, categories);
    }

    /**
     * The user and assistant turns of a chat as the guard's prompt takes them: system and tool turns left out, a
     * leading assistant turn dropped, consecutive turns of one role joined by a blank line; with
     * {@code toLastUser}, cut after the last user turn (an assistant's prefill is not the user's input).
     */
    public static List<Message> screenable(List<Message> dialog, boolean toLastUser) {
        List<Message> out = new ArrayList<>();
        for (Message m : dialog) {
            String role = m.role();
            if (!role.equals("user") && !role.equals("assistant") || out.isEmpty() && role.equals("assistant")) {
                continue;
            }
            if (!out.isEmpty() && out.getLast().role().equals(role)) {
                out.set(out.size() - 1, new Message(role, out.getLast().text() + "\n\n" + m.text()));
            } else {
                out.add(new Message(role, m.text()));
            }
        }
        if (toLastUser && !out.isEmpty() && out.getLast().role().equals("assistant")) {
            out.removeLast();
        }
        return out;
    }

    /** The verdict on a chat's last user message ({@link #screenable}); safe when it has none. */
    public GuardVerdict checkInput(List<Message> dialog) {
        return await(submitInput(dialog));
    }

    /** {@link #checkInput}, answered when the engine has run the check. */
    public CompletableFuture<GuardVerdict> submitInput(List<Message> dialog) {
        List<Message> c = screenable(dialog, true);
        return c.isEmpty() ? CompletableFuture.completedFuture(new GuardVerdict(true, List.of(), 0, true, ""))
                : submit(c);
    }

    /** The verdict on {@code answer} to a chat ({@link #screenable} up to its last user message, then the answer). */
    public GuardVerdict checkOutput(List<Message> dialog, String answer) {
        return await(submitOutput(dialog, answer));
    }

    /** {@link #checkOutput}, answered when the engine has run the check. */
    public CompletableFuture<GuardVerdict> submitOutput(List<Message> dialog, String answer) {
        List<Message> c = new ArrayList<>(screenable(dialog, true));
        if (c.isEmpty()) {
            c.add(Message.user(""));
        }
        c.add(Message.assistant(answer));
        return submit(c);
    }

    /** The verdict on the last turn of {@code conversation} (user and assistant turns in turn, user first). */
    public GuardVerdict check(List<Message> conversation) {
        return await(submit(conversation));
    }

    /**
     * {@link #check}, answered when the engine has run it: several checks submitted together run together. Fails
     * with a {@link LlamaException} when the engine cannot run it.
     */
    public CompletableFuture<GuardVerdict> submit(List<Message> conversation) {
        GuardPrompt.Parts parts = GuardPrompt.parts(version, conversation, excluded, categories);
        int[] prompt = tokens(parts);
        List<Engine.Token> tokens = new ArrayList<>();
        Engine.Request request = new Engine.Request(prompt, maxTokens, 0f, 1f, 0, true, true,
                Engine.Request.MAX_TOP_LOGPROBS, false, bias);
        return engine.submit(request, (Engine.Listener) tokens::add).result()
                .thenApply(done -> GuardVerdict.parse(tokenizer.decode(done.tokens()), unsafeScore(tokens)));
    }

    /** A check's verdict, waited for; its failure as the {@link LlamaException} that says why. */
    public static GuardVerdict await(CompletableFuture<GuardVerdict> check) {
        try {
            return check.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LlamaException("interrupted while the guard was checking");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof LlamaException le ? le : new LlamaException(String.valueOf(e.getCause()));
        }
    }

    /** The prompt's tokens: the template's special tokens as such, the text between them (messages) as plain text. */
    int[] tokens(GuardPrompt.Parts parts) {
        int[] head = tokenizer.encode(parts.head(), version.tokenizerAddsBos(), false, SpecialTokenSet.ALL,
                SpecialTokenSet.NONE);
        int[] body = tokenizer.encode(parts.body(), false, false, SpecialTokenSet.NONE, SpecialTokenSet.NONE);
        int[] tail = tokenizer.encode(parts.tail(), false, false, SpecialTokenSet.ALL, SpecialTokenSet.NONE);
        int[] all = java.util.Arrays.copyOf(head, head.length + body.length + tail.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        System.arraycopy(tail, 0, all, head.length + body.length, tail.length);
        return all;
    }

    /** P("unsafe") where the answer's first non-blank token was chosen; 0 when it is not among the alternatives. */
    private double unsafeScore(List<Engine.Token> tokens) {
        for (Engine.Token t : tokens) {
            if (tokenizer.decode(new int[] {t.id()}).isBlank()) {
                continue;
            }
            for (int i = 0; i < t.topIds().length; i++) {
                if (t.topIds()[i] == unsafeToken) {
                    return Math.exp(t.topLogprobs()[i]);
                }
            }
            return t.id() == unsafeToken ? Math.exp(t.logprob()) : 0;
        }
        return 0;
    }
}
