package dev.llama3j.cluster;

import dev.llama3j.LlamaException;
import dev.llama3j.format.ModelFiles;
import dev.llama3j.format.pth.ShardFingerprint;
import dev.llama3j.model.CacheType;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.RankGroup;
import dev.llama3j.model.Sequence;
import dev.llama3j.model.Transformer;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tensor.Parallel;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The processes of a job launched by {@code mpirun}, each a rank holding its part of every model
 * ({@link dev.llama3j.model.ModelSplit}). Rank 0 runs the command as a single process would; the others follow
 * ({@link #follow}): rank 0 sends them, by broadcast, each model it loads and builds, each step it runs and what
 * becomes of its sequences, and they do the same on their parts, meeting rank 0 in the step's collectives (the sums
 * after wo and w2, the gathered logits). A failure that leaves the ranks out of step ends the whole job
 * ({@code MPI_Abort}), never a hang.
 */
public final class Cluster implements RankGroup {
    private static final byte LOAD = 1;
    private static final byte MODEL = 2;
    private static final byte STEP = 3;
    private static final byte FORK = 4;
    private static final byte CLOSE = 5;
    private static final byte RESERVE = 6;
    private static final byte EXIT = 7;
    private static final byte TIME_ALL_REDUCE = 8;
    private static final byte DROP = 9;
    /** The longest string {@link #allGather} carries. */
    private static final int STRING_BYTES = 1024;

    private final Mpi mpi;
    private final ReentrantLock lock = new ReentrantLock();
    /** Rank 0's events of sequences, sent before its next message. */
    private final ConcurrentLinkedQueue<byte[]> events = new ConcurrentLinkedQueue<>();
    /** Rank 0: the ids of what it told the others of; the others: what those ids name. */
    private final Map<Object, Integer> ids = new IdentityHashMap<>();
    private final Map<Integer, LlamaWeights> weights = new HashMap<>();
    private final Map<Integer, Transformer> models = new HashMap<>();
    private final Map<Integer, Map<Long, Sequence>> sequences = new HashMap<>();
    /** A follower's models: the weights each is built on. */
    private final Map<Integer, Integer> modelWeights = new HashMap<>();
    /** What the load under way said it is ({@link #identify}): Meta's shard file and its fingerprint, or null. */
    private String[] identity;
    private int nextId;
    private boolean finished;
    /** Native memory for the collectives, grown as needed; used under {@link #lock} or by a follower alone. */
    private MemorySegment send = MemorySegment.NULL;
    private MemorySegment receive = MemorySegment.NULL;
    private float[] parts = new float[0];

    /** The job's ranks where {@link #startIfLaunched} started them, else null. */
    private static volatile Cluster current;

    private Cluster(Mpi mpi) {
        this.mpi = mpi;
    }

    /** How many processes mpirun started, from Open MPI's environment; 1 when not launched by it. */
    public static int launchedRanks() {
        String size = System.getenv("OMPI_COMM_WORLD_SIZE");
        try {
            return size == null ? 1 : Integer.parseInt(size.trim());
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /**
     * Starts MPI where mpirun launched more than one process, and on rank 0 makes every model load go through the
     * cluster ({@link ModelFiles#distributeWith}); null otherwise, for everything to run as a single process.
     */
    public static Cluster startIfLaunched() {
        if (launchedRanks() <= 1) {
            return null;
        }
        Cluster c = new Cluster(Mpi.init());
        current = c;
        if (c.rank() == 0) {
            ModelFiles.distributeWith(c::loadWeights);
            // an exit that bypasses the command's end (a signal, System.exit) still releases the others
            Runtime.getRuntime().addShutdownHook(new Thread(() -> c.finish(0), "llama3j-cluster-exit"));
        }
        return c;
    }

    /** The ranks of this job, or null when it is one process. */
    public static Cluster current() {
        return current;
    }

    @Override
    public int rank() {
        return mpi.rank();
    }

    @Override
    public int ranks() {
        return mpi.size();
    }

    // ---- rank 0: telling the others

    /** Loads this rank's part of the model at {@code path}, the others theirs: a one-line error if any rank fails. */
    private LlamaWeights loadWeights(Path path, Numerics numerics) {
        ModelFiles.detect(path);  // a path that is not a model fails here, before the others are told
        lock.lock();
        try {
            int id = nextId++;
            send(message(LOAD, out -> {
                out.writeInt(id);
                out.writeUTF(path.toAbsolutePath().toString());
                out.writeUTF(numerics.name());
            }));
            LlamaWeights w = loadChecked(path, numerics);
            synchronized (ids) {
                ids.put(w, id);
            }
            return w;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void created(Transformer model, int maxBatch, int maxSeqLen, int contextSize, CacheType keyType,
                        CacheType valueType) {
        if (rank() != 0) {
            return;
        }
        lock.lock();
        try {
            Integer weightsId;
            int id = nextId++;
            synchronized (ids) {
                weightsId = ids.get(model.weights());
                if (weightsId == null) {
                    throw new IllegalStateException("a split model whose weights the other ranks were not told of");
                }
                ids.put(model, id);
            }
            send(message(MODEL, out -> {
                out.writeInt(id);
                out.writeInt(weightsId);
                out.writeInt(maxBatch);
                out.writeInt(maxSeqLen);
                out.writeInt(contextSize);
                out.writeUTF(keyType.name());
                out.writeUTF(valueType.name());
            }));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void step(Transformer model, List<Transformer.Entry> entries, Runnable body) {
        if (rank() != 0) {
            body.run();
            return;
        }
        lock.lock();
        try {
            if (finished) {
                throw new IllegalStateException("the job has ended: no step can run");
            }
            int id = modelId(model);
            int threads = Parallel.threads();
            send(message(STEP, out -> {
                out.writeInt(id);
                out.writeInt(threads);
                out.writeInt(entries.size());
                for (Transformer.Entry e : entries) {
                    out.writeLong(e.sequence().id());
                    out.writeInt(e.sequence().length());
                    out.writeBoolean(e.allLogits());
                    out.writeInt(e.tokens().length);
                    for (int t : e.tokens()) {
                        out.writeInt(t);
                    }
                }
            }));
            try {
                body.run();
            } catch (RuntimeException | Error e) {
                // the others may be anywhere in the step's collectives: nothing can bring them back in step
                abort("a step failed on rank 0: " + e);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The time of one {@link #allReduce} of {@code floats} floats between all ranks: the best of 3 runs of
     * {@code times} each, in microseconds, after a warm-up.
     */
    public double timeAllReduce(int floats, int times) {
        lock.lock();
        try {
            send(message(TIME_ALL_REDUCE, out -> {
                out.writeInt(floats);
                out.writeInt(times);
            }));
            return allReduceMicros(floats, times);
        } finally {
            lock.unlock();
        }
    }

    private double allReduceMicros(int floats, int times) {
        float[] x = new float[floats];
        for (int i = 0; i < times; i++) {
            allReduce(x, 0, floats);
        }
        long best = Long.MAX_VALUE;
        for (int run = 0; run < 3; run++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < times; i++) {
                allReduce(x, 0, floats);
            }
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best / 1e3 / times;
    }

    @Override
    public void forked(Transformer model, Sequence source, Sequence copy) {
        int id = modelId(model);
        events.add(message(FORK, out -> {
            out.writeInt(id);
            out.writeLong(source.id());
            out.writeLong(copy.id());
            out.writeInt(copy.length());
        }));
    }

    @Override
    public void reserved(Transformer model, Sequence sequence, int positions) {
        int id = modelId(model);
        events.add(message(RESERVE, out -> {
            out.writeInt(id);
            out.writeLong(sequence.id());
            out.writeInt(positions);
        }));
    }

    @Override
    public void closed(Transformer model, Sequence sequence) {
        int id = modelId(model);
        events.add(message(CLOSE, out -> {
            out.writeInt(id);
            out.writeLong(sequence.id());
        }));
    }

    @Override
    public void identify(String file, String fingerprint) {
        identity = new String[] {file, fingerprint};
    }

    @Override
    public void dropped(LlamaWeights w) {
        if (rank() != 0) {
            return;
        }
        Integer id;
        synchronized (ids) {
            id = ids.remove(w);
            ids.keySet().removeIf(k -> k instanceof Transformer t && t.weights() == w);
        }
        if (id != null) {
            events.add(message(DROP, out -> out.writeInt(id)));
        }
    }

    private int modelId(Transformer model) {
        synchronized (ids) {
            Integer id = ids.get(model);
            if (id == null) {
                throw new IllegalStateException("a split model the other ranks were not told of");
            }
            return id;
        }
    }

    /**
     * Rank 0's end: tells the others to exit with {@code code} and ends MPI. Where a step still holds the ranks
     * (another thread in it), the job is aborted instead.
     */
    public void finish(int code) {
        if (rank() != 0) {
            return;
        }
        boolean locked;
        try {
            locked = lock.tryLock(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            locked = false;
        }
        if (!locked) {
            abort("rank 0 ended while a step was running");
            return;
        }
        try {
            if (finished) {
                return;
            }
            finished = true;
            send(message(EXIT, out -> out.writeInt(code)));
            mpi.finish();
        } finally {
            lock.unlock();
        }
    }

    /** Sends the queued events, then {@code message}: broadcast as its length, then its bytes. */
    private void send(byte[] message) {
        byte[] event;
        while ((event = events.poll()) != null) {
            broadcast(event);
        }
        broadcast(message);
    }

    private void broadcast(byte[] message) {
        MemorySegment buf = sendBuffer(Math.max(4, message.length));
        buf.set(ValueLayout.JAVA_INT_UNALIGNED, 0, message.length);
        mpi.broadcast(buf, 4, 0);
        MemorySegment.copy(message, 0, buf, ValueLayout.JAVA_BYTE, 0, message.length);
        mpi.broadcast(buf, message.length, 0);
    }

    // ---- the other ranks: following

    /**
     * Follows rank 0 until it ends the job: loads, builds and steps what it says. Returns the exit code rank 0 sent;
     * an error here ends the whole job.
     */
    public int follow() {
        try {
            while (true) {
                MemorySegment buf = sendBuffer(4);
                mpi.broadcast(buf, 4, 0);
                int length = buf.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
                buf = sendBuffer(Math.max(4, length));
                mpi.broadcast(buf, length, 0);
                byte[] message = buf.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(message));
                byte op = in.readByte();
                if (op == EXIT) {
                    int code = in.readInt();
                    mpi.finish();
                    return code;
                }
                apply(op, in);
            }
        } catch (IOException | RuntimeException e) {
            abort("rank " + rank() + ": " + e.getMessage());
            return 1;
        } catch (Error e) {
            abort("rank " + rank() + ": " + e);
            return 1;
        }
    }

    private void apply(byte op, DataInputStream in) throws IOException {
        switch (op) {
            case LOAD -> {
                int id = in.readInt();
                Path path = Path.of(in.readUTF());
                Numerics numerics = Numerics.valueOf(in.readUTF());
                try {
                    weights.put(id, loadChecked(path, numerics));
                } catch (LlamaException e) {
                    // rank 0 reports it
                }
            }
            case MODEL -> {
                int id = in.readInt();
                int weightsId = in.readInt();
                LlamaWeights w = known(weights, weightsId);
                int maxBatch = in.readInt();
                int maxSeqLen = in.readInt();
                int contextSize = in.readInt();
                models.put(id, new Transformer(w, maxBatch, maxSeqLen, contextSize, CacheType.valueOf(in.readUTF()),
                        CacheType.valueOf(in.readUTF())));
                modelWeights.put(id, weightsId);
                sequences.put(id, new HashMap<>());
            }
            case STEP -> {
                int id = in.readInt();
                Transformer model = known(models, id);
                Map<Long, Sequence> seqs = sequences.get(id);
                int threads = in.readInt();
                if (threads != Parallel.threads()) {
                    Parallel.setThreads(threads);   // every rank as many as rank 0
                }
                int count = in.readInt();
                List<Transformer.Entry> entries = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    Sequence s = seqs.computeIfAbsent(in.readLong(), k -> model.newSequence());
                    int start = in.readInt();
                    boolean allLogits = in.readBoolean();
                    int[] tokens = new int[in.readInt()];
                    for (int t = 0; t < tokens.length; t++) {
                        tokens[t] = in.readInt();
                    }
                    if (s.length() < start) {
                        throw new IllegalStateException("sequence " + s.id() + " holds " + s.length()
                                + " positions, rank 0's " + start);
                    }
                    s.truncate(start);
                    entries.add(new Transformer.Entry(s, tokens, allLogits));
                }
                model.forward(entries);
            }
            case TIME_ALL_REDUCE -> allReduceMicros(in.readInt(), in.readInt());
            case FORK -> {
                int id = in.readInt();
                Map<Long, Sequence> seqs = known(sequences, id);
                Sequence source = seqs.computeIfAbsent(in.readLong(), k -> known(models, id).newSequence());
                long copyId = in.readLong();
                Sequence copy = source.fork();
                copy.truncate(in.readInt());
                seqs.put(copyId, copy);
            }
            case RESERVE -> {
                int id = in.readInt();
                Map<Long, Sequence> seqs = known(sequences, id);
                seqs.computeIfAbsent(in.readLong(), k -> known(models, id).newSequence()).reserve(in.readInt());
            }
            case CLOSE -> {
                Map<Long, Sequence> seqs = known(sequences, in.readInt());
                Sequence s = seqs.remove(in.readLong());
                if (s != null) {
                    s.close();
                }
            }
            case DROP -> {
                int weightsId = in.readInt();
                for (var it = modelWeights.entrySet().iterator(); it.hasNext(); ) {
                    var e = it.next();
                    if (e.getValue() == weightsId) {
                        it.remove();
                        models.remove(e.getKey());
                        sequences.remove(e.getKey()).values().forEach(Sequence::close);
                    }
                }
                LlamaWeights w = weights.remove(weightsId);
                if (w != null) {
                    w.close();
                }
            }
            default -> throw new IllegalStateException("unknown message " + op + " from rank 0");
        }
    }

    private static <K, V> V known(Map<K, V> map, K key) {
        V v = map.get(key);
        if (v == null) {
            throw new IllegalStateException("rank 0 named " + key + ", which this rank does not hold");
        }
        return v;
    }

    // ---- every rank

    /**
     * This rank's part of the model, then every rank's outcome gathered: all of them get their parts, or all fail
     * with the first rank's error (in rank order).
     */
    private LlamaWeights loadChecked(Path path, Numerics numerics) {
        LlamaWeights w = null;
        String outcome;
        identity = null;
        try {
            w = ModelFiles.loadWeightsPart(path, numerics, this);
            outcome = identity == null ? "=" : "=" + identity[0] + "\n" + identity[1];
        } catch (LlamaException e) {
            outcome = "!" + e.getMessage();
        } catch (Throwable e) {
            outcome = "!" + e;   // every rank must still meet the others below
        }
        String[] outcomes = allGather(outcome);
        try {
            for (int r = 0; r < outcomes.length; r++) {
                if (outcomes[r].startsWith("!")) {
                    String why = outcomes[r].substring(1);
                    throw new LlamaException(r == rank() ? why : "rank " + r + ": " + why);
                }
            }
            List<String> files = new ArrayList<>();
            List<ShardFingerprint> prints = new ArrayList<>();
            for (String o : outcomes) {
                int nl = o.indexOf('\n');
                if (nl > 0) {
                    files.add(o.substring(1, nl));
                    prints.add(new ShardFingerprint(o.substring(nl + 1)));
                }
            }
            ShardFingerprint.requireDistinct(prints, files);
        } catch (LlamaException e) {
            if (w != null) {
                w.close();
            }
            throw e;
        }
        return w;
    }

    @Override
    public void allReduce(float[] x, int off, int len) {
        int n = ranks();
        MemorySegment out = sendBuffer(4L * len);
        MemorySegment.copy(x, off, out, ValueLayout.JAVA_FLOAT, 0, len);
        MemorySegment in = receiveBuffer(4L * len * n);
        mpi.allGatherFloats(out, len, in);
        if (parts.length < len * n) {
            parts = new float[len * n];
        }
        MemorySegment.copy(in, ValueLayout.JAVA_FLOAT, 0, parts, 0, len * n);
        System.arraycopy(parts, 0, x, off, len);
        for (int r = 1; r < n; r++) {
            int base = r * len;
            for (int i = 0; i < len; i++) {
                x[off + i] += parts[base + i];
            }
        }
    }

    @Override
    public void gather(float[] part, int rows, int[] counts, float[] all) {
        int n = ranks();
        int mine = rows * counts[rank()];
        int total = 0;
        for (int c : counts) {
            total += c;
        }
        MemorySegment out = sendBuffer(4L * Math.max(1, mine));
        MemorySegment.copy(part, 0, out, ValueLayout.JAVA_FLOAT, 0, mine);
        MemorySegment in = receiveBuffer(4L * rows * total + 8L * n);
        long table = 4L * rows * total;
        int offset = 0;
        for (int r = 0; r < n; r++) {
            in.setAtIndex(ValueLayout.JAVA_INT, table / 4 + r, rows * counts[r]);
            in.setAtIndex(ValueLayout.JAVA_INT, table / 4 + n + r, offset);
            offset += rows * counts[r];
        }
        mpi.gatherFloats(out, mine, in, in.asSlice(table, 4L * n), in.asSlice(table + 4L * n, 4L * n), 0);
        if (rank() != 0) {
            return;
        }
        int start = 0;
        for (int r = 0; r < n; r++) {
            for (int row = 0; row < rows; row++) {
                MemorySegment.copy(in, ValueLayout.JAVA_FLOAT, 4L * (rows * start + row * counts[r]), all,
                        row * total + start, counts[r]);
            }
            start += counts[r];
        }
    }

    @Override
    public String[] allGather(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(bytes.length, STRING_BYTES);
        MemorySegment out = sendBuffer(4 + STRING_BYTES);
        out.set(ValueLayout.JAVA_INT_UNALIGNED, 0, length);
        MemorySegment.copy(bytes, 0, out, ValueLayout.JAVA_BYTE, 4, length);
        MemorySegment in = receiveBuffer((4L + STRING_BYTES) * ranks());
        mpi.allGatherBytes(out, 4 + STRING_BYTES, in);
        String[] values = new String[ranks()];
        for (int r = 0; r < values.length; r++) {
            long at = (4L + STRING_BYTES) * r;
            int len = Math.min(in.get(ValueLayout.JAVA_INT_UNALIGNED, at), STRING_BYTES);
            values[r] = new String(in.asSlice(at + 4, len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }
        return values;
    }

    /** Ends every rank of the job, after a line on standard error. */
    private void abort(String why) {
        System.err.println("llama3j: " + why + ": ending every rank of the job");
        System.err.flush();
        mpi.abort(1);
        Runtime.getRuntime().halt(1);
    }

    private MemorySegment sendBuffer(long bytes) {
        if (send.byteSize() < bytes) {
            send = Arena.ofAuto().allocate(Math.max(bytes, 2 * send.byteSize()), 64);
        }
        return send;
    }

    private MemorySegment receiveBuffer(long bytes) {
        if (receive.byteSize() < bytes) {
            receive = Arena.ofAuto().allocate(Math.max(bytes, 2 * receive.byteSize()), 64);
        }
        return receive;
    }

    /** Writes one message: its kind, then what {@code body} writes. */
    private static byte[] message(byte op, Body body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(op);
            body.write(out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    @FunctionalInterface
    private interface Body {
        void write(DataOutputStream out) throws IOException;
    }
}
