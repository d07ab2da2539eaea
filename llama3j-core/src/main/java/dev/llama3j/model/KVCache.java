package dev.llama3j.model;

import dev.llama3j.LlamaException;

/**
 * The keys and values of a model's sequences, under one budget of token positions shared by all of them (what
 * llama-server calls the context size), in the element types chosen for keys and for values. Each {@link Sequence}
 * holds its own, off the Java heap, and takes room from the budget as it grows; closing a sequence frees its memory
 * and gives its room back.
 */
public final class KVCache {
    final int layers;
    final int kvDim;
    final int kvHeads;
    final int headDim;
    final CacheType keyType;
    final CacheType valueType;
    private final int budget;
    private final int maxSeqLen;
    private final ThreadLocal<byte[]> rowScratch;
    private int reserved;
    private int live;
    private long nextId;
    /** Where rank 0 of a split model tells the others what its sequences do, and of which model; null otherwise. */
    private volatile RankGroup group;
    private volatile Transformer owner;

    /** A float32 cache: the reference numerics. */
    public KVCache(ModelConfig c, int budget, int maxSeqLen) {
        this(c, budget, maxSeqLen, CacheType.F32, CacheType.F32);
    }

    /**
     * @param budget    token positions that all sequences together may hold
     * @param maxSeqLen positions one sequence may hold (the model's RoPE tables reach that far)
     */
    public KVCache(ModelConfig c, int budget, int maxSeqLen, CacheType keyType, CacheType valueType) {
        this(c, c.nKvHeads(), budget, maxSeqLen, keyType, valueType);
    }

    /** A cache of {@code kvHeads} of the model's KV heads (a rank's part of a split model, {@link ModelSplit}). */
    KVCache(ModelConfig c, int kvHeads, int budget, int maxSeqLen, CacheType keyType, CacheType valueType) {
        if (budget < 1 || maxSeqLen < 1) {
            throw new LlamaException("the KV cache needs at least one position, got a budget of " + budget
                    + " and a sequence length of " + maxSeqLen);
        }
        for (CacheType t : new CacheType[] {keyType, valueType}) {
            if (c.headDim() % t.blockSize() != 0) {
                throw new LlamaException("a " + t.cliName() + " KV cache needs a head size that is a multiple of "
                        + t.blockSize() + "; this model's heads have " + c.headDim());
            }
        }
        long elements = (long) budget * kvHeads * c.headDim();
        long bytes = c.nLayers() * (keyType.bytes(elements) + valueType.bytes(elements));
        long memory = physicalMemory();
        if (bytes > memory) {
            throw new LlamaException(String.format(
                    "the KV cache for %d positions (%s keys, %s values) needs %.1f GiB, more than this machine's"
                            + " %.1f GiB of memory: lower the context size (--ctx-size, --max-seq-len,"
                            + " --max-batch-size) or choose a smaller cache type (--cache-type-k/-v f16 or q8_0)",
                    budget, keyType.cliName(), valueType.cliName(), bytes / (double) (1L << 30),
                    memory / (double) (1L << 30)));
        }
        this.layers = c.nLayers();
        this.kvDim = kvHeads * c.headDim();
        this.kvHeads = kvHeads;
        this.headDim = c.headDim();
        this.keyType = keyType;
        this.valueType = valueType;
        this.budget = budget;
        this.maxSeqLen = maxSeqLen;
        long rowBytes = Math.max(keyType.bytes(headDim), valueType.bytes(headDim));
        this.rowScratch = ThreadLocal.withInitial(() -> new byte[(int) rowBytes]);
    }

    /** Bytes of keys and values for {@code positions} positions of model {@code c} in the given types. */
    public static long bytesFor(ModelConfig c, long positions, CacheType keyType, CacheType valueType) {
        long elements = positions * c.kvDim();
        return c.nLayers() * (keyType.bytes(elements) + valueType.bytes(elements));
    }

    /**
     * The memory of this machine, or of its container when the JVM runs in one (the operating system's MXBean says
     * which). Sequences allocate as they grow, so a budget within it can still meet memory others hold.
     */
    static long physicalMemory() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getTotalMemorySize() : Long.MAX_VALUE;
    }

    void tell(RankGroup group, Transformer owner) {
        this.owner = owner;
        this.group = group;
    }

    Transformer owner() {
        return owner;
    }

    /** The group that hears of rank 0's sequence events, or null. */
    RankGroup group() {
        return group;
    }

    /** This thread's buffer for one head's quantized key or value. */
    byte[] rowScratch() {
        return rowScratch.get();
    }

    /** How keys are stored. */
    public CacheType keyType() {
        return keyType;
    }

    /** How values are stored. */
    public CacheType valueType() {
        return valueType;
    }

    /** A new, empty sequence. */
    public Sequence newSequence() {
        long id;
        synchronized (this) {
            live++;
            id = nextId++;
        }
        return new Sequence(this, id);
    }

    /** Token positions all sequences together may hold. */
    public int budget() {
        return budget;
    }

    /** Token positions one sequence may hold. */
    public int maxSeqLen() {
        return maxSeqLen;
    }

    /** Positions the live sequences have taken from the budget (their capacity, at least their length). */
    public synchronized int reserved() {
        return reserved;
    }

    /** Bytes the budget allows. */
    public long byteSize() {
        return (long) layers * (keyType.bytes((long) budget * kvDim) + valueType.bytes((long) budget * kvDim));
    }

    /**
     * Takes room for {@code wanted} positions, or at least {@code needed} of them when the budget has no more; fails
     * with the sizes involved when not even that is left.
     */
    synchronized int reserve(int needed, int wanted) {
        int free = budget - reserved;
        if (needed > free) {
            throw new LlamaException("the KV cache is full: " + live + " sequence(s) hold " + reserved + " of its "
                    + budget + " positions and one needs " + needed + " more (raise the context size, or end"
                    + " other sequences)");
        }
        int granted = Math.min(wanted, free);
        reserved += granted;
        return granted;
    }

    synchronized void release(int positions, boolean closing) {
        reserved -= positions;
        if (closing) {
            live--;
        }
    }
}
