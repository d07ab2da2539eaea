package dev.llama3j.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.LlamaException;
import dev.llama3j.chat.Message;
import dev.llama3j.chat.SpelledSpecialTokens;
import dev.llama3j.chat.ToolFormat;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.TokenConstraint;
import dev.llama3j.grammar.Grammar;
import dev.llama3j.grammar.GrammarConstraint;
import dev.llama3j.guard.GuardVerdict;
import dev.llama3j.tokenizer.Tokenizer;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http1.Http1Config;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The OpenAI HTTP API over an {@link Engine}: {@code /v1/chat/completions} and {@code /v1/completions} (whole or
 * streamed as server-sent events), {@code /v1/models}, {@code /health}, and llama-server's {@code /tokenize},
 * {@code /detokenize}, {@code /slots} and {@code /metrics}. Each request runs on a virtual thread of
 * Helidon's server and waits for its tokens from the engine thread; a client that goes away cancels its request.
 */
public final class OpenAiServer implements AutoCloseable {
    /** Largest request body accepted. */
    static final long MAX_BODY = 8L << 20;

    private static final ObjectMapper JSON = Chunks.JSON;

    /**
     * Helidon's loggers, held (java.util.logging keeps loggers weakly, and a collected one forgets its level): its
     * INFO lines at every start and stop are left out, its warnings kept (but those a client watch's end causes); a
     * failed start is this class's one-line error instead of the listener's stack trace.
     */
    private static final List<Logger> QUIET = List.of(
            quiet("io.helidon", Level.WARNING),
            quiet("io.helidon.webserver.LoomServer", Level.OFF),
            quiet("io.helidon.webserver.ServerListener", Level.OFF),
            filtered("io.helidon.webserver.http1.Http1Connection"));

    /** A connection's logger without the warnings that {@link ClientWatch}'s ends cause. */
    private static Logger filtered(String name) {
        Logger logger = Logger.getLogger(name);
        logger.setFilter(r -> !ClientWatch.monitorEnded(r));
        return logger;
    }

    private static Logger quiet(String name, Level level) {
        Logger logger = Logger.getLogger(name);
        logger.setLevel(level);
        return logger;
    }

    private final Llama llama;
    private final Engine engine;
    private final String modelId;
    private final Chunks chunks;
    private final String apiKey;
    private final WebServer server;
    private final long created = System.currentTimeMillis() / 1000;
    private final AtomicLong ids = new AtomicLong();
    /** requests whose client closed its connection before their answer ended */
    private final AtomicLong cancelled = new AtomicLong();
    private final int maxQueue;

    private final List<String> corsOrigins;
    /** null: nothing is screened */
    private final Screening screening;
    private final ToolFormat toolFormat;

    /**
     * CORS for the configured origins: the allow-origin header on their requests; a preflight (OPTIONS) is answered
     * here with 204 (true: nothing more to do). Preflights carry no API key, so they pass before its check.
     */
    private boolean cors(RoutingRequest req, RoutingResponse res) {
        String origin = req.headers().first(HeaderNames.ORIGIN).orElse(null);
        boolean allowed = origin != null && (corsOrigins.contains("*") || corsOrigins.contains(origin));
        if (allowed) {
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, corsOrigins.contains("*") ? "*" : origin);
            res.header(HeaderNames.VARY, "Origin");
        }
        if (allowed && req.prologue().method().text().equals("OPTIONS")) {
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS");
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Content-Type");
            res.header(HeaderNames.ACCESS_CONTROL_MAX_AGE, "600");
            res.status(Status.NO_CONTENT_204);
            res.send();
            return true;
        }
        return false;
    }

    /** The prompt and generated tokens of the request this (virtual) thread serves, for its log line. */
    private static final ThreadLocal<int[]> TOKENS = new ThreadLocal<>();

    /** Requests that may wait for a slot before the server answers 503. */
    public static final int DEFAULT_QUEUE = 64;

    /**
     * Starts serving {@code engine} (over {@code llama}) on {@code host:port} (port 0: any free one).
     *
     * @param apiKey null, or the key every endpoint but /health requires as a Bearer token
     */
    public OpenAiServer(Llama llama, Engine engine, String modelId, String host, int port, String apiKey) {
        this(llama, engine, modelId, host, port, apiKey, DEFAULT_QUEUE, null);
    }

    /**
     * As above, answering 503 while {@code maxQueue} requests wait for a slot, and writing one line per request to
     * {@code log} (method, path, status, prompt and generated tokens, milliseconds) unless it is null.
     */
    public OpenAiServer(Llama llama, Engine engine, String modelId, String host, int port, String apiKey,
                        int maxQueue, java.io.PrintStream log) {
        this(llama, engine, modelId, host, port, apiKey, maxQueue, log, List.of());
    }

    /**
     * As above; browsers on the {@code corsOrigins} (or any, for "*") may call it: their requests get
     * Access-Control-Allow-Origin and their preflight OPTIONS requests a 204. Without any, no CORS header is sent.
     */
    public OpenAiServer(Llama llama, Engine engine, String modelId, String host, int port, String apiKey,
                        int maxQueue, java.io.PrintStream log, List<String> corsOrigins) {
        this(llama, engine, modelId, host, port, apiKey, maxQueue, log, corsOrigins, null);
    }

    /**
     * As above, screening chat and completion requests and their answers with a Llama Guard model
     * ({@link Screening}; null: none), each of several choices on its own. A refused request or a withheld answer
     * is a 200 with finish_reason "content_filter", as OpenAI's own filter answers, its violated categories under
     * "guard"; a screened answer is streamed in one piece once it passed.
     */
    public OpenAiServer(Llama llama, Engine engine, String modelId, String host, int port, String apiKey,
                        int maxQueue, java.io.PrintStream log, List<String> corsOrigins, Screening screening) {
        this(llama, engine, modelId, host, port, apiKey, maxQueue, log, corsOrigins, screening, ToolFormat.AUTO);
    }

    /** As above, prompting requests with tools and reading their answers in {@code toolFormat}. */
    public OpenAiServer(Llama llama, Engine engine, String modelId, String host, int port, String apiKey,
                        int maxQueue, java.io.PrintStream log, List<String> corsOrigins, Screening screening,
                        ToolFormat toolFormat) {
        this.toolFormat = toolFormat;
        this.screening = screening;
        this.maxQueue = maxQueue;
        this.corsOrigins = List.copyOf(corsOrigins);
        this.llama = llama;
        this.engine = engine;
        this.modelId = modelId;
        this.chunks = new Chunks(modelId);
        this.apiKey = apiKey;
        this.server = WebServer.builder()
                .host(host)
                .port(port)
                .maxPayloadSize(MAX_BODY)
                // a plain socket (not NIO's): its monitor tells a closed connection apart while nothing reads it
                .useNio(false)
                .addProtocol(Http1Config.builder().addReceiveListener(ClientWatch.LISTENER).build())
                .routing(r -> r
                        .addFilter((chain, req, res) -> {
                            long t0 = System.nanoTime();
                            TOKENS.remove();
                            try {
                                if (cors(req, res)) {
                                    return;
                                }
                                chain.proceed();
                            } finally {
                                if (log != null) {
                                    int[] tokens = TOKENS.get();
                                    log.printf("llama3j: %s %s %d%s %d ms%n", req.prologue().method().text(),
                                            req.path().path(), res.status().code(),
                                            tokens == null ? "" : " tokens in " + tokens[0] + " out " + tokens[1],
                                            (System.nanoTime() - t0) / 1_000_000);
                                }
                                TOKENS.remove();
                            }
                        })
                        .get("/health", (req, res) -> json(res, Status.OK_200,
                                JSON.createObjectNode().put("status", "ok")))
                        .get("/v1/models", (req, res) -> guarded(req, res, this::models))
                        .post("/v1/chat/completions", (req, res) -> guarded(req, res, watched(this::chat)))
                        .post("/v1/completions", (req, res) -> guarded(req, res, watched(this::completions)))
                        .post("/tokenize", (req, res) -> guarded(req, res, this::tokenize))
                        .post("/detokenize", (req, res) -> guarded(req, res, this::detokenize))
                        .get("/slots", (req, res) -> guarded(req, res, this::slots))
                        .get("/metrics", (req, res) -> guarded(req, res, this::metrics))
                        .any((req, res) -> error(res, Status.NOT_FOUND_404, "not_found_error",
                                "no endpoint " + req.prologue().method().text() + " " + req.path().path())))
                .build()
                .start();
        if (!server.isRunning()) {
            throw new LlamaException("cannot listen on " + host + ":" + port + " (is the port in use, or the address"
                    + " not this machine's?)");
        }
    }

    /** The port the server listens on. */
    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.stop();
    }

    private interface Endpoint {
        void handle(ServerRequest req, ServerResponse res) throws Exception;
    }

    private interface Generation {
        void handle(ServerRequest req, ServerResponse res, ClientWatch watch) throws Exception;
    }

    /** HTTP's "client closed request" (nginx's): the log line of a request whose client went away. */
    private static final Status CLIENT_CLOSED_499 = Status.create(499, "Client Closed Request");

    /**
     * An endpoint that generates, watching its client: one that closes its connection ends the request within a
     * poll of the watch (its sequences cancelled), counted in /metrics and logged as a 499.
     */
    private Endpoint watched(Generation generation) {
        return (req, res) -> {
            ClientWatch watch = ClientWatch.of(req);
            try {
                generation.handle(req, res, watch);
            } catch (Exception e) {
                if (!(e instanceof ClientWatch.Gone) && !watch.seenGone()) {
                    throw e;
                }
                cancelled.incrementAndGet();
                if (!res.isSent()) {
                    try {
                        error(res, CLIENT_CLOSED_499, "client_closed", e.getMessage());
                    } catch (RuntimeException unsent) {
                        // nobody reads it
                    }
                }
            }
        };
    }

    /** The API key check, then the endpoint; a user's mistake becomes a 400 with a one-line message. */
    private void guarded(ServerRequest req, ServerResponse res, Endpoint endpoint) throws Exception {
        if (apiKey != null) {
            String auth = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
            if (!auth.equals("Bearer " + apiKey)) {
                error(res, Status.UNAUTHORIZED_401, "authentication_error", "missing or wrong API key"
                        + " (send the header 'Authorization: Bearer KEY')");
                return;
            }
        }
        try {
            endpoint.handle(req, res);
        } catch (BadRequest | LlamaException e) {
            if (!res.isSent()) {
                error(res, Status.BAD_REQUEST_400, "invalid_request_error", e.getMessage());
            }
        }
    }

    /** llama-server's /tokenize: {"content", "add_special", "with_pieces"} to {"tokens": [...]}. */
    private void tokenize(ServerRequest req, ServerResponse res) {
        JsonNode body = body(req);
        JsonNode content = body.get("content");
        if (content == null || !content.isTextual()) {
            throw new BadRequest("'content' must be a string");
        }
        Tokenizer tokenizer = llama.tokenizer();
        int[] ids = tokenizer.encode(content.asText(), body.path("add_special").asBoolean(false), false);
        ObjectNode out = JSON.createObjectNode();
        var tokens = out.putArray("tokens");
        for (int id : ids) {
            if (body.path("with_pieces").asBoolean(false)) {
                tokens.addObject().put("id", id).put("piece", tokenizer.decode(new int[] {id}));
            } else {
                tokens.add(id);
            }
        }
        json(res, Status.OK_200, out);
    }

    /** llama-server's /detokenize: {"tokens": [...]} to {"content"}. */
    private void detokenize(ServerRequest req, ServerResponse res) {
        JsonNode tokens = body(req).get("tokens");
        if (tokens == null || !tokens.isArray() || !allInts(tokens)) {
            throw new BadRequest("'tokens' must be a list of token ids");
        }
        int vocab = llama.tokenizer().vocabSize();
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = tokens.get(i).asInt();
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new BadRequest("token id " + ids[i] + " is outside the vocabulary (0.." + (vocab - 1) + ")");
            }
        }
        json(res, Status.OK_200, JSON.createObjectNode().put("content", llama.tokenizer().decode(ids)));
    }

    /** llama-server's /slots shape: one object per parallel slot, the first ones busy while requests run. */
    private void slots(ServerRequest req, ServerResponse res) {
        Engine.Load load = engine.load();
        var arr = JSON.createArrayNode();
        for (int i = 0; i < load.maxParallel(); i++) {
            arr.addObject().put("id", i).put("is_processing", i < load.processing());
        }
        json(res, Status.OK_200, arr);
    }

    /** Prometheus text: llama-server's metrics under the llama3j: prefix. */
    private void metrics(ServerRequest req, ServerResponse res) {
        Engine.Load load = engine.load();
        StringBuilder b = new StringBuilder();
        metric(b, "prompt_tokens_total", "counter", "Prompt tokens read.", load.promptTokens());
        metric(b, "tokens_predicted_total", "counter", "Tokens generated.", load.generatedTokens());
        metric(b, "requests_finished_total", "counter", "Requests ended.", load.finished());
        metric(b, "requests_cancelled_total", "counter", "Requests whose client closed its connection before"
                + " their answer ended.", cancelled.get());
        metric(b, "requests_processing", "gauge", "Requests generating or reading their prompts.", load.processing());
        metric(b, "requests_deferred", "gauge", "Requests waiting for a slot.", load.queued());
        metric(b, "kv_cache_tokens", "gauge", "KV cache positions taken by sequences.", load.kvReserved());
        metric(b, "kv_cache_usage_ratio", "gauge", "KV cache positions taken, of the budget.",
                load.kvBudget() == 0 ? 0 : (double) load.kvReserved() / load.kvBudget());
        res.status(Status.OK_200);
        res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4");
        res.send(b.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void metric(StringBuilder b, String name, String type, String help, double value) {
        String full = "llama3j:" + name;
        b.append("# HELP ").append(full).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(full).append(' ').append(type).append('\n');
        String text = value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
        b.append(full).append(' ').append(text)
                .append('\n');
    }

    private void models(ServerRequest req, ServerResponse res) {
        ObjectNode body = JSON.createObjectNode().put("object", "list");
        body.putArray("data").addObject().put("id", modelId).put("object", "model").put("created", created)
                .put("owned_by", "llama3j");
        json(res, Status.OK_200, body);
    }

    private void chat(ServerRequest req, ServerResponse res, ClientWatch watch) throws Exception {
        JsonNode body = body(req);
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw new BadRequest("'messages' must be a non-empty list of {\"role\", \"content\"} objects");
        }
        List<Message> dialog = new ArrayList<>();
        for (JsonNode m : messages) {
            dialog.add(message(m));
        }
        JsonNode tools = body.get("tools");
        boolean useTools = tools != null && tools.isArray() && !tools.isEmpty()
                && !"none".equals(body.path("tool_choice").asText(""));
        if (useTools || ToolCallsJson.hasToolTurns(messages)) {
            // the template's text is tokenized with its special tokens: a request must not spell one itself
            rejectSpecialTokens(messages, "messages");
            if (useTools) {
                rejectSpecialTokens(tools, "tools");
            }
            // Meta's prompt in --tool-format (auto: its Hugging Face template), for Llama 3.1+ models
            int[] prompt = llama.toolPrompt(toolFormat, ToolCallsJson.normalized(messages), useTools ? tools : null);
            Grammar grammar = OutputGrammar.of(body, useTools ? tools : null);
            if (OutputGrammar.forcesCall(body) && !toolFormat.jsonCalls()) {
                throw new BadRequest("'tool_choice' constrains the answer to a JSON call, which this server's"
                        + " --tool-format " + toolFormat.cliName() + " does not read: ask with \"auto\"");
            }
            if (RequestOptions.of(body, true).n() > 1) {
                several(res, watch, body, List.of(prompt), true, screening == null ? null : List.of(dialog), grammar,
                        useTools);
                return;
            }
            generate(res, watch, body, prompt, true, screening == null ? null : dialog, useTools, grammar);
            return;
        }
        Grammar grammar = OutputGrammar.of(body, null);
        int[] prompt = llama.chatFormat().encodeDialogPrompt(dialog);
        if (RequestOptions.of(body, true).n() > 1) {
            several(res, watch, body, List.of(prompt), true, screening == null ? null : List.of(dialog), grammar,
                    false);
            return;
        }
        generate(res, watch, body, prompt, true, screening == null ? null : dialog, false, grammar);
    }

    private void completions(ServerRequest req, ServerResponse res, ClientWatch watch) throws Exception {
        JsonNode body = body(req);
        List<int[]> prompts = prompts(body.get("prompt"));
        Grammar grammar = OutputGrammar.of(body, null);
        // each prompt is screened as a user's turn, its completion as the answer to it
        List<List<Message>> turns = screening == null ? null
                : prompts.stream().map(p -> Screening.completionTurns(llama.tokenizer(), p)).toList();
        if (prompts.size() > 1 || RequestOptions.of(body, false).n() > 1) {
            several(res, watch, body, prompts, false, turns, grammar, false);
            return;
        }
        generate(res, watch, body, prompts.getFirst(), false, turns == null ? null : turns.getFirst(), false,
                grammar);
    }

    /**
     * OpenAI's prompt shapes: a string, a list of token ids, or a list of several of either (one choice, or n, per
     * prompt, in order).
     */
    private List<int[]> prompts(JsonNode p) {
        String shapes = "'prompt' must be a string, a non-empty list of token ids, or a list of those";
        if (p == null || !(p.isTextual() || p.isArray()) || (p.isArray() && p.isEmpty())) {
            throw new BadRequest(shapes);
        }
        if (p.isTextual() || allInts(p)) {
            return List.of(prompt(p, shapes));
        }
        if (p.size() > MAX_PROMPTS) {
            throw new BadRequest("'prompt': at most " + MAX_PROMPTS + " prompts per request, got " + p.size());
        }
        List<int[]> out = new ArrayList<>();
        for (JsonNode one : p) {
            out.add(prompt(one, shapes));
        }
        return out;
    }

    private int[] prompt(JsonNode p, String shapes) {
        if (p.isTextual()) {
            return llama.tokenizer().encode(p.asText(), true, false);
        }
        if (!p.isArray() || p.isEmpty() || !allInts(p)) {
            throw new BadRequest(shapes);
        }
        int[] ids = new int[p.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = p.get(i).asInt();
        }
        return ids;
    }

    private void checkLogitBias(RequestOptions o) {
        int vocab = llama.tokenizer().vocabSize();
        for (int id : o.penalties().logitBias().keySet()) {
            if (id < 0 || id >= vocab) {
                throw new BadRequest("'logit_bias' token id " + id + " is outside the vocabulary (0.." + (vocab - 1)
                        + ")");
            }
        }
    }

    /** Most prompts one completion request may list. */
    private static final int MAX_PROMPTS = 64;

    /**
     * Several choices ({@link SeveralChoices}): {@code n} per prompt, whole or streamed, each screened on its own
     * where {@code turns} (what the guard sees of each prompt) is not null, each answer read for calls with
     * {@code tools}; usage counts each prompt once.
     */
    private void several(ServerResponse res, ClientWatch watch, JsonNode body, List<int[]> prompts, boolean chat,
                         List<List<Message>> turns, Grammar grammar, boolean tools) throws Exception {
        RequestOptions o = RequestOptions.of(body, chat);
        if (prompts.size() * o.n() > RequestOptions.MAX_CHOICES * 4) {
            throw new BadRequest("at most " + RequestOptions.MAX_CHOICES * 4 + " choices per request, asked for "
                    + prompts.size() * o.n());
        }
        checkLogitBias(o);
        if (engine.load().queued() >= maxQueue) {
            error(res, Status.SERVICE_UNAVAILABLE_503, "server_overloaded", "the server is busy: " + maxQueue
                    + " requests are already waiting; try again later");
            return;
        }
        Tokenizer tokenizer = llama.tokenizer();
        String id = (chat ? "chatcmpl-" : "cmpl-") + Long.toHexString(created) + "-" + ids.incrementAndGet();
        SeveralChoices choices = new SeveralChoices(engine, tokenizer, chunks, screening, tools ? toolFormat : null);
        int[] tokens = choices.answer(res, watch, id, o, chat, prompts, turns, grammar == null ? null
                : () -> new GrammarConstraint(grammar, GrammarConstraint.masks(tokenizer), llama.stopTokens()));
        if (tokens != null) {
            TOKENS.set(tokens);
        }
    }

    private static boolean allInts(JsonNode list) {
        for (JsonNode n : list) {
            if (!n.canConvertToInt() || !n.isIntegralNumber()) {
                return false;
            }
        }
        return true;
    }

    private static Message message(JsonNode m) {
        if (!m.isObject()) {
            throw new BadRequest("each message must be an object with \"role\" and \"content\"");
        }
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual()) {
            throw new BadRequest("a message has no \"role\" string");
        }
        String r = role.asText();
        if (!List.of("system", "user", "assistant", "tool", "ipython").contains(r)) {
            throw new BadRequest("message role '" + r + "' is not one of system, user, assistant, tool");
        }
        JsonNode content = m.get("content");
        String text;
        if (content == null || content.isNull()) {
            text = "";
        } else if (content.isTextual()) {
            text = content.asText();
        } else if (content.isArray()) {
            StringBuilder b = new StringBuilder();
            for (JsonNode part : content) {
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw new BadRequest("only {\"type\": \"text\", \"text\": ...} content parts are supported");
                }
                b.append(part.get("text").asText());
            }
            text = b.toString();
        } else {
            throw new BadRequest("message \"content\" must be a string or a list of text parts");
        }
        return new Message(r.equals("tool") ? "ipython" : r, text);
    }

    private static JsonNode body(ServerRequest req) {
        byte[] bytes = req.content().as(byte[].class);
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (JacksonException e) {
            throw new BadRequest("the body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadRequest("the body could not be read: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw new BadRequest("the body must be a JSON object");
        }
        return node;
    }

    /** What the engine thread hands the request's thread: tokens, then the end. */
    private sealed interface Event {
        record Prompt(List<Engine.Token> scores) implements Event {}

        record Token(Engine.Token token) implements Event {}

        record End(Engine.Completion completion, Throwable failure) implements Event {}
    }

    /** A 400 when any string in {@code node} (keys too) holds the name of one of the tokenizer's special tokens. */
    private void rejectSpecialTokens(JsonNode node, String field) {
        String first = SpelledSpecialTokens.first(llama.tokenizer(), node);
        if (first != null) {
            throw new BadRequest("'" + field + "' must not contain the special token " + first
                    + " in a request with tools");
        }
    }

    /**
     * Answers a chat or a completion request of one choice, screened where {@code turns} (what the guard sees of
     * the prompt: {@link Screening}) is not null; with a {@code grammar} (null for none), its tokens are sampled
     * among those that continue it.
     */
    private void generate(ServerResponse res, ClientWatch watch, JsonNode body, int[] prompt, boolean chat,
                          List<Message> turns, boolean tools, Grammar grammar) throws Exception {
        RequestOptions o = RequestOptions.of(body, chat);
        checkLogitBias(o);
        if (engine.load().queued() >= maxQueue) {
            error(res, Status.SERVICE_UNAVAILABLE_503, "server_overloaded", "the server is busy: " + maxQueue
                    + " requests are already waiting; try again later");
            return;
        }
        String id = (chat ? "chatcmpl-" : "cmpl-") + Long.toHexString(created) + "-" + ids.incrementAndGet();
        if (turns != null && screening.input()) {
            GuardVerdict asked = screening.checkInput(turns);
            if (!asked.safe()) {
                // the assistant model never sees a refused request
                TOKENS.set(new int[] {prompt.length, 0});
                filtered(res, o, chat, id, prompt.length, asked);
                return;
            }
        }
        // an answer with tools, or screened, is held back until it is known to be a call or text, or safe
        boolean screen = turns != null && screening.output();
        boolean scorePrompt = o.echo() && o.logprobs();
        LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
        TokenConstraint constraint = grammar == null ? null
                : new GrammarConstraint(grammar, GrammarConstraint.masks(llama.tokenizer()), llama.stopTokens());
        Engine.Request request = new Engine.Request(prompt, o.maxTokens(), o.temperature(), o.topP(), o.seed(),
                o.logprobs(), true, o.topLogprobs(), scorePrompt, o.penalties(), constraint);
        Engine.Handle handle = engine.submit(request, new Engine.Listener() {
            @Override
            public void onToken(Engine.Token token) {
                events.add(new Event.Token(token));
            }

            @Override
            public void onPrompt(List<Engine.Token> scores) {
                events.add(new Event.Prompt(scores));
            }
        });
        handle.result().whenComplete((c, e) -> events.add(new Event.End(c, e)));
        Tokenizer tokenizer = llama.tokenizer();
        ChoiceText text = new ChoiceText(o, chat, tokenizer, o.echo() ? tokenizer.decode(prompt) : "",
                tools || screen);
        LogprobsJson logprobs = text.logprobs();
        OutputStream out = null;
        if (o.stream()) {
            out = Chunks.open(res);
            if (chat) {
                send(out, chunks.chunk(id, chat, Chunks.role(), null));
            }
            // with the prompt's log-probabilities, its text waits for them (they come once the prompt is read)
            if (o.echo() && !scorePrompt) {
                send(out, chunks.chunk(id, false, Chunks.content(false, text.echo()), null));
            }
        }
        boolean echoed = false;
        try {
            while (true) {
                Event ev = events.poll(ClientWatch.POLL_MS, TimeUnit.MILLISECONDS);
                watch.check();
                if (ev == null) {
                    continue;
                }
                if (ev instanceof Event.Prompt p) {
                    logprobs.prompt(prompt, p.scores());
                    if (out != null) {
                        send(out, chunks.chunk(id, false, 0, Chunks.content(false, text.echo()), logprobs.echoed(),
                                null));
                        echoed = true;
                    }
                    continue;
                }
                if (ev instanceof Event.Token t) {
                    if (text.stopped()) {
                        continue;   // generated before the cancel took effect: not part of the answer
                    }
                    String piece = text.push(t.token());
                    if (text.stopped()) {
                        handle.cancel();
                    }
                    JsonNode pieceLogprobs = text.tokenLogprobs();
                    if (out != null && (!piece.isEmpty() || pieceLogprobs != null)) {
                        send(out, chunks.chunk(id, chat, 0, Chunks.content(chat, piece), pieceLogprobs, null));
                    }
                    continue;
                }
                Event.End end = (Event.End) ev;
                if (end.failure() != null) {
                    Throwable cause = end.failure() instanceof ExecutionException x ? x.getCause() : end.failure();
                    if (out == null) {
                        throw cause instanceof LlamaException le ? le : new LlamaException(String.valueOf(cause));
                    }
                    Chunks.failed(out, cause.getMessage());
                    return;
                }
                Engine.Completion c = end.completion();
                String rest = text.end();
                String finish = text.finish(c);
                int generated = text.generated(c);
                TOKENS.set(new int[] {prompt.length, generated});
                ObjectNode usage = Chunks.usage(prompt.length, generated);
                if (screen) {
                    GuardVerdict said;
                    try {
                        said = screening.checkOutput(turns, text.answer());
                    } catch (LlamaException e) {
                        if (out == null) {
                            throw e;
                        }
                        // the stream has begun: say so in it, as for a failed generation
                        Chunks.failed(out, e.getMessage());
                        return;
                    }
                    if (!said.safe()) {
                        if (out == null) {
                            ObjectNode w = chunks.whole(id, chat);
                            w.putArray("choices").add(Chunks.choice(0, chat, text.echo(), text.echoLogprobs(),
                                    "content_filter"));
                            w.set("usage", usage);
                            json(res, Status.OK_200, Chunks.guard(w, said));
                        } else {
                            send(out, chunks.filtered(id, chat, 0, said));
                            chunks.finish(out, o.includeUsage(), id, usage);
                        }
                        return;
                    }
                }
                if (out == null) {
                    ObjectNode w = chunks.whole(id, chat, text.text(), finish, usage);
                    if (logprobs != null) {
                        ((ObjectNode) w.get("choices").get(0)).set("logprobs", logprobs.all());
                    }
                    var calls = tools ? toolFormat.parse(text.text()) : List.<Message.ToolCall>of();
                    if (!calls.isEmpty()) {
                        ToolCallsJson.setCalls((ObjectNode) w.get("choices").get(0), calls, "call-" + id);
                    }
                    json(res, Status.OK_200, w);
                    return;
                }
                if (scorePrompt && !echoed) {
                    // no prompt scores: the request ended before its prompt was read
                    send(out, chunks.chunk(id, false, 0, Chunks.content(false, text.echo()), logprobs.echoed(),
                            null));
                }
                var calls = tools ? toolFormat.parse(text.text()) : List.<Message.ToolCall>of();
                if (!calls.isEmpty()) {
                    send(out, chunks.chunk(id, true, ToolCallsJson.delta(calls, "call-" + id), null));
                    finish = "tool_calls";
                } else if (!rest.isEmpty()) {
                    send(out, chunks.chunk(id, chat, 0, Chunks.content(chat, rest), text.endLogprobs(), null));
                }
                send(out, chunks.chunk(id, chat, chat ? JSON.createObjectNode() : null, finish));
                chunks.finish(out, o.includeUsage(), id, usage);
                return;
            }
        } catch (IOException | RuntimeException e) {
            handle.cancel();   // the client went away, or the answer could not be written
            throw e;
        } catch (InterruptedException e) {
            handle.cancel();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A request the guard refused: no text, finish_reason "content_filter" (OpenAI's), and the guard's categories
     * under "guard" (streamed: one chunk with them).
     */
    private void filtered(ServerResponse res, RequestOptions o, boolean chat, String id, int promptTokens,
                          GuardVerdict v) throws IOException {
        ObjectNode usage = Chunks.usage(promptTokens, 0);
        if (!o.stream()) {
            json(res, Status.OK_200, Chunks.guard(chunks.whole(id, chat, "", "content_filter", usage), v));
            return;
        }
        OutputStream out = Chunks.open(res);
        if (chat) {
            send(out, chunks.chunk(id, true, Chunks.role(), null));
        }
        send(out, chunks.filtered(id, chat, 0, v));
        chunks.finish(out, o.includeUsage(), id, usage);
    }

    private static void send(OutputStream out, JsonNode chunk) throws IOException {
        Chunks.send(out, chunk);
    }

    private static void json(ServerResponse res, Status status, JsonNode body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        try {
            res.send(JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void error(ServerResponse res, Status status, String type, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.set("error", Chunks.errorBody(type, message));
        json(res, status, body);
    }
}
