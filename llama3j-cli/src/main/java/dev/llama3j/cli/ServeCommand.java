package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.chat.ToolFormat;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.ModelOptions;
import dev.llama3j.server.OpenAiServer;
import dev.llama3j.server.Screening;
import dev.llama3j.tensor.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code llama3j serve}: the OpenAI HTTP API over one model, with continuous batching. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serves a model over the OpenAI HTTP API.",
                "POST /v1/chat/completions and /v1/completions (streamed with \"stream\": true), GET /v1/models and "
                        + "/health. Up to --parallel requests run at once; --ctx-size positions of KV cache are "
                        + "split among them. Ctrl-C or SIGTERM stops it."})
final class ServeCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "PATH",
            description = "model file or folder, or org/name[:QUANT] (as complete -m)")
    Path model;

    @Option(names = {"--tokenizer-path", "--tokenizer_path"}, paramLabel = "FILE",
            description = "tokenizer (default: the model's own)")
    Path tokenizerPath;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST",
            description = "address to listen on (default: ${DEFAULT-VALUE}, this machine only)")
    String host;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "N", description = "port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = {"--parallel", "-np"}, defaultValue = "4", paramLabel = "N",
            description = "requests generating at once (default: ${DEFAULT-VALUE})")
    int parallel;

    @Option(names = {"--ctx-size", "-c"}, defaultValue = "4096", paramLabel = "N",
            description = "KV cache positions, shared by the parallel requests (default: ${DEFAULT-VALUE})")
    int ctxSize;

    @Option(names = "--api-key", paramLabel = "KEY", description = "require 'Authorization: Bearer KEY'")
    String apiKey;

    @Mixin
    NumericsOptions numerics = new NumericsOptions();

    @Option(names = "--cors-origin", paramLabel = "ORIGIN",
            description = "let browser pages of ORIGIN call the API (repeatable; * for any)")
    List<String> corsOrigins = new ArrayList<>();

    @Mixin
    CacheOptions cache = new CacheOptions();

    @Mixin
    GuardOptions guardOptions = new GuardOptions();

    @Mixin
    ToolFormatOption toolFormat = new ToolFormatOption();

    @Option(names = {"--threads", "-t"}, paramLabel = "N", description = "worker threads (default: one per core)")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        if (parallel < 1) {
            throw new LlamaException("--parallel must be >= 1, got " + parallel);
        }
        if (ctxSize < parallel) {
            throw new LlamaException("--ctx-size must be at least --parallel (" + parallel + "), got " + ctxSize);
        }
        if (port < 0 || port > 65535) {
            throw new LlamaException("--port must be in 0..65535, got " + port);
        }
        if (apiKey != null && apiKey.isBlank()) {
            throw new LlamaException("--api-key must not be empty");
        }
        if (threads != null) {
            if (threads < 1) {
                throw new LlamaException("--threads must be >= 1, got " + threads);
            }
            Parallel.setThreads(threads);
        }
        ToolFormat tools = toolFormat.format();
        int perSequence = ctxSize / parallel;
        CountDownLatch stopped = new CountDownLatch(1);
        ModelOptions options = ModelOptions.of(perSequence, parallel)
                .withNumerics(numerics.numerics()).withCacheTypes(cache.keys(), cache.values());
        String modelName = ModelLocation.name(model);
        Path modelPath = ModelLocation.resolve(model);
        try (GuardOptions.Session guard = guardOptions.open(perSequence);
             Llama llama = Llama.build(modelPath, tokenizerPath, options);
             Engine engine = llama.newEngine(parallel);
             OpenAiServer server = new OpenAiServer(llama, engine, modelName, host, port,
                     apiKey, OpenAiServer.DEFAULT_QUEUE, System.err, corsOrigins,
                     guard == null ? null : new Screening(guard.guard(), guard.input(), guard.output()), tools)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stopped.countDown();
                server.close();
            }));
            System.err.printf("llama3j: serving %s on http://%s:%d (%d parallel, %d positions each)%n",
                    modelName, host, server.port(), parallel, perSequence);
            stopped.await();
        }
        return 0;
    }
}
