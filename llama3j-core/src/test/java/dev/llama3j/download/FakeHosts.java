package dev.llama3j.download;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * Two local HTTP servers that behave like the hosts llama3j downloads from: a CDN (Meta's presigned links: a
 * {@code Signature} query that must match, 403 otherwise; the hub's blob store: refuses any request that carries an
 * {@code Authorization} header, as S3 does) and the Hugging Face hub (the listing API, {@code resolve} with the
 * ETag/X-Linked-* headers, a 302 to the CDN for LFS files, gated repositories answering 401). Both serve
 * {@code Range} requests with 206, and can be told to drop a connection mid-file or to send slowly.
 */
public final class FakeHosts implements AutoCloseable {
    public static final String SIGNATURE = "s3cr3t-signature";
    public static final String TOKEN = "hf_good_token";

    final HttpServer cdn;
    final HttpServer hub;
    /** CDN path (no leading slash) to bytes. */
    public final Map<String, byte[]> cdnFiles = new ConcurrentHashMap<>();
    /** Requests seen, as "METHOD host path range auth". */
    public final List<String> log = Collections.synchronizedList(new ArrayList<>());
    /** Paths whose next GET sends only this many bytes and then closes the connection. */
    final Map<String, Integer> dropOnce = new ConcurrentHashMap<>();
    /** Paths that send 1 kB every few milliseconds (for interrupting mid-file). */
    public final Map<String, Boolean> slow = new ConcurrentHashMap<>();
    /** Paths whose range answers carry at most this many bytes (a 206 may hold less than asked). */
    public final Map<String, Integer> rangeCap = new ConcurrentHashMap<>();
    /** Paths whose GETs answer 503 this many times first. */
    final Map<String, Integer> failTimes = new ConcurrentHashMap<>();
    final Map<String, Repo> repos = new ConcurrentHashMap<>();

    record Repo(String commit, Map<String, byte[]> files, boolean gated) {}

    public FakeHosts() throws IOException {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        cdn = HttpServer.create(any, 0);
        hub = HttpServer.create(any, 0);
        cdn.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        hub.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        cdn.createContext("/", this::serveCdn);
        hub.createContext("/", this::serveHub);
        cdn.start();
        hub.start();
    }

    public URI cdnUri() {
        return URI.create("http://127.0.0.1:" + cdn.getAddress().getPort());
    }

    public URI hubUri() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    /** Meta's link form: the path is a {@code *}, the query carries the signature. */
    public String presignedUrl(String signature) {
        return cdnUri() + "/*?Policy=eyJTdGF0ZW1lbnQiOiJ4In0_&Signature=" + signature + "&Key-Pair-Id=K1";
    }

    public void addRepo(String repo, String commit, Map<String, byte[]> files, boolean gated) {
        repos.put(repo, new Repo(commit, new LinkedHashMap<>(files), gated));
        for (byte[] bytes : files.values()) {
            cdnFiles.put("blobs/" + sha256(bytes), bytes);
        }
    }

    static boolean isLfs(String path) {
        return path.endsWith(".gguf") || path.endsWith(".safetensors") || path.endsWith(".pth")
                || path.endsWith(".model");
    }

    private void serveCdn(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath().substring(1);
        record(ex, "cdn", path);
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (path.startsWith("blobs/")) {
            if (auth != null) {
                sendText(ex, 400, "Only one auth mechanism allowed");
                return;
            }
        } else {
            String query = String.valueOf(ex.getRequestURI().getRawQuery());
            if (!query.contains("Signature=" + SIGNATURE)) {
                sendText(ex, 403, "<Error><Code>AccessDenied</Code></Error>");
                return;
            }
        }
        byte[] bytes = cdnFiles.get(path);
        if (bytes == null) {
            sendText(ex, 404, "not found");
            return;
        }
        serveBytes(ex, path, bytes, Map.of());
    }

    private void serveHub(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        record(ex, "hub", path);
        String[] p = path.substring(1).split("/", -1);
        boolean api = p.length >= 6 && p[0].equals("api") && p[1].equals("models") && p[4].equals("revision");
        String repoId = api ? p[2] + "/" + p[3] : p.length >= 4 ? p[0] + "/" + p[1] : "";
        Repo repo = repos.get(repoId);
        if (repo == null) {
            ex.getResponseHeaders().add("X-Error-Code", "RepoNotFound");
            sendText(ex, 401, "{\"error\":\"Repository Not Found\"}");
            return;
        }
        boolean authorized = ("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"));
        if (api) {
            StringBuilder json = new StringBuilder("{\"id\":\"" + repoId + "\",\"sha\":\"" + repo.commit
                    + "\",\"siblings\":[");
            int i = 0;
            for (var f : repo.files.entrySet()) {
                json.append(i++ == 0 ? "" : ",").append("{\"rfilename\":\"").append(f.getKey())
                        .append("\",\"size\":").append(f.getValue().length).append('}');
            }
            sendText(ex, 200, json.append("]}").toString());
            return;
        }
        if (!p[2].equals("resolve")) {
            sendText(ex, 404, "not found");
            return;
        }
        if (repo.gated && !authorized) {
            ex.getResponseHeaders().add("X-Error-Code", "GatedRepo");
            sendText(ex, 401, "{\"error\":\"Access to model " + repoId + " is restricted.\"}");
            return;
        }
        String rev = p[3];
        String file = String.join("/", java.util.Arrays.copyOfRange(p, 4, p.length));
        if (!rev.equals(repo.commit) && !rev.equals("main")) {
            ex.getResponseHeaders().add("X-Error-Code", "RevisionNotFound");
            sendText(ex, 404, "revision not found");
            return;
        }
        byte[] bytes = repo.files.get(file);
        if (bytes == null) {
            ex.getResponseHeaders().add("X-Error-Code", "EntryNotFound");
            sendText(ex, 404, "entry not found");
            return;
        }
        var h = ex.getResponseHeaders();
        h.add("X-Repo-Commit", repo.commit);
        if (isLfs(file)) {
            String sha = sha256(bytes);
            h.add("X-Linked-Etag", "\"" + sha + "\"");
            h.add("X-Linked-Size", String.valueOf(bytes.length));
            h.add("ETag", "W/\"" + gitSha1(bytes).substring(0, 20) + "-xet\"");
            h.add("Location", cdnUri() + "/blobs/" + sha + "?X-Amz-Signature=cdn");
            ex.sendResponseHeaders(302, -1);
            ex.close();
            return;
        }
        h.add("ETag", "\"" + gitSha1(bytes) + "\"");
        serveBytes(ex, file, bytes, Map.of());
    }

    private void serveBytes(HttpExchange ex, String key, byte[] bytes, Map<String, String> headers)
            throws IOException {
        headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        ex.getResponseHeaders().add("Accept-Ranges", "bytes");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().add("Content-Length", String.valueOf(bytes.length));
            ex.sendResponseHeaders(200, -1);
            ex.close();
            return;
        }
        Integer fails = failTimes.get(key);
        if (fails != null && fails > 0) {
            failTimes.put(key, fails - 1);
            sendText(ex, 503, "busy");
            return;
        }
        int from = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
            from = Integer.parseInt(range.substring(6, range.length() - 1));
            if (from >= bytes.length) {
                ex.getResponseHeaders().add("Content-Range", "bytes */" + bytes.length);
                ex.sendResponseHeaders(416, -1);
                ex.close();
                return;
            }
            int end = rangeCap.containsKey(key) ? Math.min(bytes.length, from + rangeCap.get(key)) : bytes.length;
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (end - 1) + "/" + bytes.length);
            ex.sendResponseHeaders(206, end - from);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes, from, end - from);
            }
            return;
        } else {
            ex.sendResponseHeaders(200, bytes.length);
        }
        Integer drop = dropOnce.remove(key);
        try (OutputStream out = ex.getResponseBody()) {
            if (drop != null) {
                out.write(bytes, from, Math.max(0, Math.min(drop, bytes.length) - from));
                out.flush();
                throw new IOException("dropping the connection on purpose");
            }
            if (slow.containsKey(key)) {
                for (int at = from; at < bytes.length; at += 1024) {
                    out.write(bytes, at, Math.min(1024, bytes.length - at));
                    out.flush();
                    sleep(5);
                }
            } else {
                out.write(bytes, from, bytes.length - from);
            }
        }
    }

    private void record(HttpExchange ex, String host, String path) {
        String range = ex.getRequestHeaders().getFirst("Range");
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        log.add(ex.getRequestMethod() + " " + host + " " + path + (range == null ? "" : " " + range)
                + (auth == null ? "" : " auth"));
    }

    private static void sendText(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
        } else {
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
        }
        ex.close();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static String sha256(byte[] b) {
        return hex("SHA-256", new byte[0], b);
    }

    static String md5(byte[] b) {
        return hex("MD5", new byte[0], b);
    }

    static String gitSha1(byte[] b) {
        return hex("SHA-1", ("blob " + b.length + "\0").getBytes(StandardCharsets.US_ASCII), b);
    }

    private static String hex(String algo, byte[] prefix, byte[] b) {
        try {
            MessageDigest md = MessageDigest.getInstance(algo);
            md.update(prefix);
            return HexFormat.of().formatHex(md.digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        cdn.stop(0);
        hub.stop(0);
    }
}
