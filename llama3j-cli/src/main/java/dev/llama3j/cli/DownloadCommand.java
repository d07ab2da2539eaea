package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.download.Hub;
import dev.llama3j.download.HubSettings;
import dev.llama3j.download.MetaDownload;
import dev.llama3j.download.TransferOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/** {@code llama3j download}: Meta's presigned-URL flow, or a Hugging Face repository. */
@Command(name = "download", mixinStandardHelpOptions = true,
        customSynopsis = {"llama3j download REPO_ID [--include GLOB]... [OPTION...]",
                "llama3j download [--meta-url URL] [--models LIST] [-o DIR]"},
        description = {"Downloads a model, resumably and verified.",
                "With REPO_ID: files of a Hugging Face repository (e.g. meta-llama/Meta-Llama-3-8B-Instruct "
                        + "--include \"original/*\"), into the hub's cache (HF_HOME, shared with Python tools) or "
                        + "--local-dir; HF_ENDPOINT and HF_TOKEN (or huggingface-cli login's token) apply. "
                        + "Prints the folder the files are in.",
                "Without: Meta's download.sh, asking for the URL from Meta's email and the models when the options "
                        + "do not give them (Enter = all). Files are checked against checklist.chk (MD5).",
                "Unfinished files are kept as NAME.part and resume when the same command runs again."})
final class DownloadCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "REPO_ID", description = "a Hugging Face repository, org/name")
    String repo;

    @Option(names = "--include", paramLabel = "GLOB",
            description = "only the files matching (repeatable; * spans folders, as huggingface-cli)")
    List<String> include = new ArrayList<>();

    @Option(names = "--revision", defaultValue = "main", paramLabel = "REV",
            description = "branch, tag or commit (default: ${DEFAULT-VALUE})")
    String revision;

    @Option(names = "--local-dir", paramLabel = "DIR", description = "put the files here instead of the hub's cache")
    Path localDir;

    @Option(names = "--meta-url", paramLabel = "URL", description = "the download link from Meta's email")
    String metaUrl;

    @Option(names = "--models", paramLabel = "LIST",
            description = "Meta models, comma-separated, of 8B, 8B-instruct, 70B, 70B-instruct (default: ask; "
                    + "Enter = all)")
    String models;

    @Option(names = {"-o", "--output"}, defaultValue = ".", paramLabel = "DIR",
            description = "where Meta's files go (default: the current folder, as download.sh)")
    Path output;

    @Option(names = "--max-workers", defaultValue = "4", paramLabel = "N",
            description = "files downloaded at once (default: ${DEFAULT-VALUE})")
    int workers;

    @Override
    public Integer call() throws IOException {
        if (workers < 1) {
            throw new LlamaException("--max-workers must be >= 1, got " + workers);
        }
        TransferOptions options = TransferOptions.defaults().withWorkers(workers);
        AtomicBoolean done = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            if (!done.get()) {
                System.err.println("\nllama3j: interrupted; unfinished files are kept as *.part and resume when the "
                        + "same command runs again");
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            if (repo != null) {
                if (metaUrl != null || models != null) {
                    throw new LlamaException("give either REPO_ID (Hugging Face) or --meta-url/--models (Meta), "
                            + "not both");
                }
                Hub hub = new Hub(HubSettings.fromEnvironment(), options);
                Hub.Listing listing = hub.list(repo, revision);
                Path where = hub.download(listing, revision, include, localDir, DownloadProgress.forStderr());
                System.out.println(where);
            } else {
                if (!include.isEmpty() || localDir != null) {
                    throw new LlamaException("--include and --local-dir are for a Hugging Face REPO_ID");
                }
                downloadFromMeta(options);
            }
            return 0;
        } finally {
            done.set(true);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyStopping) {
                // the JVM is exiting: the hook has run or will
            }
        }
    }

    /** download.sh's questions go to stderr (as bash's {@code read -p} prompts), the folders made to stdout. */
    private void downloadFromMeta(TransferOptions options) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String url = metaUrl;
        if (url == null) {
            System.err.print(MetaDownload.URL_PROMPT);
            System.err.flush();
            url = in.readLine();
            System.err.println();
            if (url == null || url.isBlank()) {
                throw new LlamaException("no URL given: paste the link from Meta's email (or pass --meta-url URL)");
            }
        }
        String list = models;
        if (list == null) {
            System.err.print(MetaDownload.MODELS_PROMPT);
            System.err.flush();
            list = in.readLine();
        }
        List<MetaDownload.Model> chosen = MetaDownload.parseModels(list);
        MetaDownload meta = new MetaDownload(url, options, line -> System.err.println(line));
        for (Path folder : meta.run(chosen, output, DownloadProgress.forStderr())) {
            System.out.println(folder);
        }
    }
}
