package dev.llama3j.tensor.kernel;

/**
 * A per-thread float buffer that only grows: scratch that every call on a thread reuses, so that the per-token
 * loops allocate nothing once the longest length has been seen.
 */
public final class ScratchFloats {
    private final ThreadLocal<float[][]> holder = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    /**
     * This thread's buffer, at least {@code length} floats long. Its contents are whatever this thread's previous
     * user left there; it stays valid until the next {@code get} on the same thread.
     */
    public float[] get(int length) {
        float[][] h = holder.get();
        if (h[0].length < length) {
            h[0] = new float[length];
        }
        return h[0];
    }
}
