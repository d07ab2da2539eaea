package dev.llama3j.download;

import dev.llama3j.LlamaException;
import dev.llama3j.format.io.AlignedChunkWriter;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP downloads that survive what real links do: bytes go to {@code NAME.part} and resume from its length with a
 * {@code Range} request (a {@code 200} answer restarts it), transient failures (connection lost, timeouts, 5xx,
 * 408, 429) are retried with a doubling wait, the checksum is computed while the bytes arrive and the file is
 * renamed into place only when it matches. An interrupt stops between reads and leaves the {@code .part} file, a
 * valid prefix, to resume. The {@code Authorization} header goes only to the origin it was given for, never to a
 * host a redirect points to (the hub's CDN, a presigned store).
 *
 * <p>{@link HttpURLConnection}, not {@code java.net.http}: its read timeout turns a stalled body into a retry,
 * where {@code HttpClient} has no timeout once the headers have arrived.
 */
public final class Transfer {
    private static final int MAX_REDIRECTS = 10;
    private static final int BUFFER = 1 << 20;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Pattern RANGE_TOTAL = Pattern.compile("bytes \\*/(\\d+)");

    private final TransferOptions options;
    private final String authorization;
    private final String authorizedOrigin;

    /** Sends {@code authorization} (e.g. {@code "Bearer ..."}, or null) only to the origin of {@code authorizedFor}. */
    public Transfer(TransferOptions options, URI authorizedFor, String authorization) {
        this.options = options;
        this.authorization = authorization;
        this.authorizedOrigin = authorizedFor == null ? null : origin(authorizedFor);
    }

    public TransferOptions options() {
        return options;
    }

    /** What a HEAD request found: the headers of the last response (a redirect to another host included). */
    public record Head(Map<String, String> headers) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /**
     * HEAD {@code uri}, following redirects on the same origin only, as the hub's clients do: a redirect to another
     * host (the CDN that serves the bytes) is returned as it is, with the file's headers.
     */
    public Head head(URI uri, String what) {
        return withRetries(what, () -> {
            HttpURLConnection c = open("HEAD", uri, 0, true, what);
            try {
                refuse(c, c.getResponseCode(), what);
                return new Head(headers(c));
            } finally {
                c.disconnect();
            }
        });
    }

    /** GET a small body (an API answer, a checksum list), at most {@code maxBytes}, following every redirect. */
    public byte[] get(URI uri, String what, int maxBytes) {
        return withRetries(what, () -> {
            HttpURLConnection c = open("GET", uri, 0, false, what);
            try {
                int status = c.getResponseCode();
                refuse(c, status, what);
                if (status != 200) {
                    throw new IOException("unexpected HTTP " + status);
                }
                try (InputStream in = c.getInputStream()) {
                    byte[] body = in.readNBytes(maxBytes + 1);
                    if (body.length > maxBytes) {
                        throw new LlamaException(what + ": the answer is larger than " + Bytes.human(maxBytes)
                                + ", more than such a file holds");
                    }
                    return body;
                }
            } finally {
                c.disconnect();
            }
        });
    }

    /** Downloads every file, {@link TransferOptions#workers()} at once, after checking the free space. */
    public void downloadAll(List<RemoteFile> files, DownloadListener listener) {
        checkSpace(files);
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Semaphore slots = new Semaphore(options.workers());
        List<Future<?>> running = new ArrayList<>();
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try {
            for (RemoteFile file : files) {
                if (failure.get() != null) {
                    break;
                }
                Future<?> task;
                try {
                    task = pool.submit(() -> {
                    try {
                        slots.acquire();
                    } catch (InterruptedException e) {
                        return;
                    }
                    try {
                        if (failure.get() == null) {
                            download(file, listener);
                        }
                    } catch (RuntimeException e) {
                        if (failure.compareAndSet(null, e)) {
                            pool.shutdownNow();
                        }
                    } finally {
                        slots.release();
                    }
                    });
                } catch (java.util.concurrent.RejectedExecutionException stopped) {
                    break;   // a task failed and stopped the pool: its failure is reported below
                }
                running.add(task);
            }
            for (Future<?> f : running) {
                f.get();
            }
        } catch (InterruptedException e) {
            pool.shutdownNow();
            awaitQuietly(running);
            Thread.currentThread().interrupt();
            throw new DownloadInterruptedException();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (java.util.concurrent.CancellationException e) {
            // a task cancelled by shutdownNow after another failed; the failure below says why
        } finally {
            pool.shutdownNow();
            pool.close();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    /** Refuses before anything is fetched when the files' missing bytes exceed the free space. */
    void checkSpace(List<RemoteFile> files) {
        Map<Path, Long> needed = new LinkedHashMap<>();
        for (RemoteFile f : files) {
            if (f.size() < 0) {
                continue;
            }
            long have = sizeOrZero(f.part());
            if (Files.isRegularFile(f.target()) && sizeOrZero(f.target()) == f.size()) {
                have = f.size();
            }
            Path dir = f.target().toAbsolutePath().getParent();
            needed.merge(dir, Math.max(0, f.size() - have), Long::sum);
        }
        Map<Long, Long> perStore = new LinkedHashMap<>();
        Map<Long, Path> storeDir = new LinkedHashMap<>();
        for (var e : needed.entrySet()) {
            long free = options.usableSpace().applyAsLong(e.getKey());
            // folders on one file system report the same free space; group by it to add their needs up
            perStore.merge(free, e.getValue(), Long::sum);
            storeDir.putIfAbsent(free, e.getKey());
        }
        for (var e : perStore.entrySet()) {
            if (e.getValue() > e.getKey()) {
                throw new LlamaException("not enough disk space in " + storeDir.get(e.getKey())
                        + ": the download needs " + Bytes.human(e.getValue()) + " more, " + Bytes.human(e.getKey())
                        + " are free");
            }
        }
    }

    /** Downloads one file to its target through {@code .part}, or does nothing when it is already there. */
    public void download(RemoteFile file, DownloadListener listener) {
        if (alreadyPresent(file)) {
            listener.finished(file, true);
            return;
        }
        try {
            Files.createDirectories(file.target().toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new LlamaException(file.target().getParent() + ": cannot create the folder: " + e.getMessage(), e);
        }
        Progress p = new Progress(file);
        withRetries(file.label(), () -> {
            fetchOnce(file, p, listener);
            return null;
        }, listener, file);
        verifyAndPlace(file, p);
        listener.finished(file, false);
    }

    /** The state of one file across attempts: its digest so far and how many bytes of the part it covers. */
    private static final class Progress {
        final RemoteFile file;
        MessageDigest digest;
        long digested = -1;
        long total = -1;

        Progress(RemoteFile file) {
            this.file = file;
            this.total = file.size();
        }
    }

    private void fetchOnce(RemoteFile file, Progress p, DownloadListener listener) throws IOException {
        Path part = file.part();
        long have = sizeOrZero(part);
        if (file.size() >= 0 && have > file.size()) {
            Files.delete(part);
            have = 0;
        }
        if (p.digested != have) {
            rehash(p, have);
        }
        if (file.size() >= 0 && have == file.size()) {
            return;
        }
        HttpURLConnection c = open("GET", file.uri(), have, false, file.label());
        try {
            int status = c.getResponseCode();
            if (status == 416 && have > 0) {
                Matcher m = RANGE_TOTAL.matcher(String.valueOf(c.getHeaderField("Content-Range")));
                if (m.matches() && Long.parseLong(m.group(1)) == have) {
                    p.total = have;
                    return;
                }
                Files.delete(part);
                p.digested = -1;
                throw new IOException("the server refused to resume at byte " + have + "; starting over");
            }
            refuse(c, status, file.label());
            long start;
            long length = c.getContentLengthLong();
            long total;
            if (status == 206) {
                Matcher m = CONTENT_RANGE.matcher(String.valueOf(c.getHeaderField("Content-Range")));
                if (!m.matches() || Long.parseLong(m.group(1)) != have) {
                    throw new IOException("the server resumed at the wrong byte (" + c.getHeaderField("Content-Range")
                            + ", expected " + have + ")");
                }
                start = have;
                long end = Long.parseLong(m.group(2));
                if (length >= 0 && length != end + 1 - start) {
                    throw new IOException("Content-Range " + c.getHeaderField("Content-Range")
                            + " does not match Content-Length " + length);
                }
                // the whole file's size; a server may send less than asked: the rest is asked for again
                total = m.group(3).equals("*") ? file.size() : Long.parseLong(m.group(3));
            } else if (status == 200) {
                start = 0;
                total = length;
                if (have > 0) {
                    rehash(p, 0);
                }
            } else {
                throw new IOException("unexpected HTTP " + status);
            }
            if (file.size() >= 0 && total >= 0 && total != file.size()) {
                throw new LlamaException(file.label() + ": the server sends " + total + " bytes, expected "
                        + file.size());
            }
            p.total = total >= 0 ? total : file.size();
            listener.started(file, start, p.total);
            long done = start;
            try (InputStream in = c.getInputStream();
                 FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 java.nio.channels.FileLock lock = lockOrFail(out, part)) {
                // only under the lock: cut the part back to where this transfer starts, then append
                out.truncate(start);
                out.position(start);
                byte[] buf = new byte[BUFFER];
                int n;
                // flushed also when the loop ends by an exception or an interrupt, so that a resume finds the bytes
                // received (a JVM that exits meanwhile loses the last 2 MiB at most: the part stays a prefix)
                try (AlignedChunkWriter chunks = new AlignedChunkWriter(out)) {
                    while ((n = in.read(buf)) > 0) {
                        chunks.write(buf, 0, n);
                        if (p.digest != null) {
                            p.digest.update(buf, 0, n);
                        }
                        done += n;
                        p.digested = done;
                        listener.progressed(file, done);
                        if (Thread.interrupted()) {
                            throw new DownloadInterruptedException();
                        }
                    }
                }
            }
            if (p.total >= 0 && done < p.total) {
                throw new IOException("the connection closed at byte " + done + " of " + p.total);
            }
            p.total = done;
        } finally {
            c.disconnect();
        }
    }

    /** Digests the first {@code length} bytes of the part file again (a resume from another run). */
    private static void rehash(Progress p, long length) throws IOException {
        Checksum sum = p.file.checksum();
        p.digest = sum == null ? null : sum.newDigest(p.file.size());
        if (p.digest != null && length > 0) {
            try (FileChannel in = FileChannel.open(p.file.part(), StandardOpenOption.READ)) {
                ByteBuffer buf = ByteBuffer.allocate(BUFFER);
                long left = length;
                while (left > 0) {
                    buf.clear().limit((int) Math.min(BUFFER, left));
                    int n = in.read(buf);
                    if (n < 0) {
                        throw new IOException("the part file shrank while being read");
                    }
                    buf.flip();
                    p.digest.update(buf);
                    left -= n;
                }
            }
        }
        p.digested = length;
    }

    private static void verifyAndPlace(RemoteFile file, Progress p) {
        Path part = file.part();
        long size = sizeOrZero(part);
        if (file.size() >= 0 && size != file.size()) {
            throw new LlamaException(file.label() + ": downloaded " + size + " bytes, expected " + file.size());
        }
        if (file.checksum() != null) {
            String actual = Checksum.hex(p.digest);
            if (!actual.equals(file.checksum().hex())) {
                deleteQuietly(part);
                throw new LlamaException(file.label() + ": " + file.checksum().algorithm() + " " + actual
                        + " does not match the expected " + file.checksum().hex() + "; the downloaded copy was "
                        + "deleted and nothing else was touched");
            }
        }
        try {
            Files.move(part, file.target(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new LlamaException(file.target() + ": cannot move the verified download into place: "
                    + e.getMessage(), e);
        }
    }

    /** The target exists with the expected size and checksum (a checksum-less file: size alone). */
    private static boolean alreadyPresent(RemoteFile file) {
        Path target = file.target();
        if (!Files.isRegularFile(target) || (file.size() >= 0 && sizeOrZero(target) != file.size())) {
            return false;
        }
        if (file.checksum() == null) {
            return file.size() >= 0;
        }
        try {
            return file.checksum().hex().equals(hashOf(target, file.checksum(), sizeOrZero(target)));
        } catch (IOException e) {
            return false;
        }
    }

    /** The checksum of a whole file on disk, as lower-case hex. */
    public static String hashOf(Path path, Checksum kind, long size) throws IOException {
        MessageDigest md = kind.newDigest(size);
        try (FileChannel in = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(BUFFER);
            while (in.read(buf.clear()) > 0) {
                md.update(buf.flip());
            }
        }
        return Checksum.hex(md);
    }

    private interface Attempt<T> {
        T run() throws IOException;
    }

    private <T> T withRetries(String what, Attempt<T> attempt) {
        return withRetries(what, attempt, DownloadListener.NONE, null);
    }

    private <T> T withRetries(String what, Attempt<T> attempt, DownloadListener listener, RemoteFile file) {
        Duration wait = options.firstRetryWait();
        for (int n = 1; ; n++) {
            try {
                return attempt.run();
            } catch (InterruptedIOException e) {
                if (Thread.currentThread().isInterrupted() || !(e instanceof java.net.SocketTimeoutException)) {
                    throw new DownloadInterruptedException();
                }
                retryOrFail(what, n, "timed out after " + options.timeout().toSeconds() + " s", listener, file, wait);
            } catch (TransientStatus e) {
                retryOrFail(what, n, e.getMessage(), listener, file, wait);
            } catch (java.net.UnknownHostException e) {
                throw new LlamaException(what + ": cannot resolve the host " + e.getMessage()
                        + " (no network, or a mistyped HF_ENDPOINT?)");
            } catch (IOException e) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new DownloadInterruptedException();
                }
                retryOrFail(what, n, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), listener,
                        file, wait);
            }
            wait = wait.multipliedBy(2);
        }
    }

    private void retryOrFail(String what, int n, String why, DownloadListener listener, RemoteFile file,
                             Duration wait) {
        if (n >= options.attempts()) {
            throw new LlamaException(what + ": " + why + " (gave up after " + n + " attempts; run the same command "
                    + "again to resume)");
        }
        if (file != null) {
            listener.retrying(file, n, why, wait);
        }
        try {
            Thread.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownloadInterruptedException();
        }
    }

    /** A status worth another try: 408, 429 and every 5xx. */
    private static final class TransientStatus extends IOException {
        TransientStatus(int status) {
            super("HTTP " + status);
        }
    }

    private static void refuse(HttpURLConnection c, int status, String what) throws TransientStatus {
        if (status == 408 || status == 429 || status >= 500) {
            throw new TransientStatus(status);
        }
        if (status >= 400) {
            URI answered;
            try {
                answered = c.getURL().toURI();
            } catch (java.net.URISyntaxException e) {
                answered = null;
            }
            throw new HttpStatusException(status, c.getHeaderField("X-Error-Code"), what,
                    answered == null ? null : origin(answered));
        }
    }

    private HttpURLConnection open(String method, URI uri, long from, boolean stopAtOtherOrigin, String what)
            throws IOException {
        URI current = uri;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            String scheme = String.valueOf(current.getScheme()).toLowerCase(Locale.ROOT);
            if (!scheme.equals("https") && !scheme.equals("http")) {
                throw new LlamaException(what + ": the server points to a " + scheme + ": address, expected https");
            }
            HttpURLConnection c = (HttpURLConnection) current.toURL().openConnection();
            c.setInstanceFollowRedirects(false);
            c.setRequestMethod(method);
            c.setConnectTimeout((int) options.timeout().toMillis());
            c.setReadTimeout((int) options.timeout().toMillis());
            c.setRequestProperty("User-Agent", "llama3j/0.1.0");
            c.setRequestProperty("Accept-Encoding", "identity");
            if (authorization != null && origin(current).equals(authorizedOrigin)) {
                c.setRequestProperty("Authorization", authorization);
            }
            if (from > 0) {
                c.setRequestProperty("Range", "bytes=" + from + "-");
            }
            int status = c.getResponseCode();
            if (!isRedirect(status) || c.getHeaderField("Location") == null) {
                return c;
            }
            URI next = redirectTarget(current, c, what);
            if (stopAtOtherOrigin && !origin(next).equals(origin(current))) {
                return c;
            }
            c.disconnect();
            current = next;
        }
        throw new LlamaException(what + ": more than " + MAX_REDIRECTS + " redirects");
    }

    private static URI redirectTarget(URI from, HttpURLConnection c, String what) {
        try {
            return from.resolve(c.getHeaderField("Location"));
        } catch (IllegalArgumentException e) {
            throw new LlamaException(what + ": the server redirects to an invalid address");
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static Map<String, String> headers(HttpURLConnection c) {
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : c.getHeaderFields().entrySet()) {
            if (e.getKey() != null && !e.getValue().isEmpty()) {
                out.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue().getFirst());
            }
        }
        return out;
    }

    static String origin(URI uri) {
        int port = uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        return (uri.getScheme() + "://" + uri.getHost() + ":" + port).toLowerCase(Locale.ROOT);
    }

    /** {@code uri} without its query: what may be printed of a presigned URL. */
    public static String redact(URI uri) {
        return uri.getScheme() + "://" + uri.getRawAuthority() + (uri.getRawPath() == null ? "" : uri.getRawPath());
    }

    /** An exclusive lock on the part file: two downloads of one file (two commands) must not write it together. */
    private static java.nio.channels.FileLock lockOrFail(FileChannel out, Path part) throws IOException {
        java.nio.channels.FileLock lock;
        try {
            lock = out.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            throw new LlamaException(part + ": another download is writing this file; wait for it, or stop it");
        }
        return lock;
    }

    private static long sizeOrZero(Path p) {
        try {
            return Files.isRegularFile(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the message that follows names the file; a leftover part is re-verified on the next run
        }
    }

    private static void awaitQuietly(List<Future<?>> futures) {
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | java.util.concurrent.CancellationException ignored) {
                // stopping: each task's own state is its part file
            }
        }
    }
}
