package dev.llama3j.cluster;

import dev.llama3j.LlamaException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The few MPI calls llama3j needs, bound to Open MPI's {@code libmpi} through FFM (no JNI): the library is opened
 * at run time ({@code LLAMA3J_MPI_LIB}, else the system's {@code libmpi.so.40}) with its symbols global, as Open
 * MPI's own plugins need. Open MPI's handles are the addresses of its predefined objects
 * ({@code ompi_mpi_comm_world}, ...). Calls are made by one thread at a time (MPI_THREAD_SERIALIZED).
 */
final class Mpi {
    private static final int RTLD_NOW = 2;
    private static final int RTLD_GLOBAL = 0x100;
    private static final int THREAD_SERIALIZED = 2;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout PTR = ValueLayout.ADDRESS;

    private final Linker linker = Linker.nativeLinker();
    private final MemorySegment handle;
    private final MemorySegment world;
    private final MemorySegment floatType;
    private final MemorySegment byteType;
    private final MethodHandle bcast;
    private final MethodHandle allgather;
    private final MethodHandle gatherv;
    private final MethodHandle barrier;
    private final MethodHandle abort;
    private final MethodHandle finalizer;
    private final int rank;
    private final int size;

    private Mpi(String library) throws Throwable {
        MethodHandle dlopen = libc("dlopen", FunctionDescriptor.of(PTR, PTR, INT));
        try (Arena arena = Arena.ofConfined()) {
            handle = (MemorySegment) dlopen.invokeExact(arena.allocateFrom(library), RTLD_NOW | RTLD_GLOBAL);
        }
        if (handle.address() == 0) {
            throw new LlamaException("running under mpirun, but the MPI library " + library + " could not be opened"
                    + " (install openmpi-bin and libopenmpi-dev, or set LLAMA3J_MPI_LIB)");
        }
        world = symbol("ompi_mpi_comm_world", "it is not Open MPI's libmpi (MPICH is not supported)");
        floatType = symbol("ompi_mpi_float", null);
        byteType = symbol("ompi_mpi_byte", null);
        // Open MPI's handlers for SIGSEGV and friends would take the JVM's, which it uses for its own purposes
        setenvIfAbsent("OMPI_MCA_opal_signal", "");
        MethodHandle init = function("MPI_Init_thread", FunctionDescriptor.of(INT, PTR, PTR, INT, PTR));
        MethodHandle commRank = function("MPI_Comm_rank", FunctionDescriptor.of(INT, PTR, PTR));
        MethodHandle commSize = function("MPI_Comm_size", FunctionDescriptor.of(INT, PTR, PTR));
        bcast = function("MPI_Bcast", FunctionDescriptor.of(INT, PTR, INT, PTR, INT, PTR));
        allgather = function("MPI_Allgather", FunctionDescriptor.of(INT, PTR, INT, PTR, PTR, INT, PTR, PTR));
        gatherv = function("MPI_Gatherv", FunctionDescriptor.of(INT, PTR, INT, PTR, PTR, PTR, PTR, PTR, INT, PTR));
        barrier = function("MPI_Barrier", FunctionDescriptor.of(INT, PTR));
        abort = function("MPI_Abort", FunctionDescriptor.of(INT, PTR, INT));
        finalizer = function("MPI_Finalize", FunctionDescriptor.of(INT));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(INT);
            check("MPI_Init_thread", (int) init.invokeExact(MemorySegment.NULL, MemorySegment.NULL,
                    THREAD_SERIALIZED, out));
            if (out.get(INT, 0) < THREAD_SERIALIZED) {
                throw new LlamaException(library + " offers no MPI_THREAD_SERIALIZED (calls from several threads)");
            }
            check("MPI_Comm_rank", (int) commRank.invokeExact(world, out));
            rank = out.get(INT, 0);
            check("MPI_Comm_size", (int) commSize.invokeExact(world, out));
            size = out.get(INT, 0);
        }
    }

    /** Initializes MPI: the library from {@code LLAMA3J_MPI_LIB}, else the first of the usual names found. */
    static Mpi init() {
        String library = System.getenv("LLAMA3J_MPI_LIB");
        if (library == null || library.isEmpty()) {
            library = defaultLibrary();
        }
        try {
            return new Mpi(library);
        } catch (LlamaException e) {
            throw e;
        } catch (Throwable e) {
            throw new LlamaException("MPI could not be started through " + library + ": " + e.getMessage());
        }
    }

    private static String defaultLibrary() {
        List<String> candidates = new ArrayList<>();
        for (String dir : new String[] {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                "/usr/lib", "/usr/local/lib", "/opt/openmpi/lib"}) {
            candidates.add(dir + "/libmpi.so.40");
        }
        for (String c : candidates) {
            if (Files.isRegularFile(Path.of(c))) {
                return c;
            }
        }
        return "libmpi.so.40";  // left to the dynamic loader's search path
    }

    int rank() {
        return rank;
    }

    int size() {
        return size;
    }

    /** {@code count} bytes of {@code buf} from {@code root} to every rank. */
    void broadcast(MemorySegment buf, int count, int root) {
        try {
            check("MPI_Bcast", (int) bcast.invokeExact(buf, count, byteType, root, world));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** Every rank's {@code count} floats of {@code send}, in rank order, into {@code recv} on every rank. */
    void allGatherFloats(MemorySegment send, int count, MemorySegment recv) {
        try {
            check("MPI_Allgather", (int) allgather.invokeExact(send, count, floatType, recv, count, floatType, world));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** Every rank's {@code count} bytes of {@code send}, in rank order, into {@code recv} on every rank. */
    void allGatherBytes(MemorySegment send, int count, MemorySegment recv) {
        try {
            check("MPI_Allgather", (int) allgather.invokeExact(send, count, byteType, recv, count, byteType, world));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** Every rank's {@code count} floats into {@code recv} on {@code root}, rank r's at {@code offsets[r]}. */
    void gatherFloats(MemorySegment send, int count, MemorySegment recv, MemorySegment counts, MemorySegment offsets,
                      int root) {
        try {
            check("MPI_Gatherv", (int) gatherv.invokeExact(send, count, floatType, recv, counts, offsets, floatType,
                    root, world));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    void barrier() {
        try {
            check("MPI_Barrier", (int) barrier.invokeExact(world));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** Ends every rank of the job with {@code code}; does not return where MPI works. */
    void abort(int code) {
        try {
            int ignored = (int) abort.invokeExact(world, code);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    void finish() {
        try {
            check("MPI_Finalize", (int) finalizer.invokeExact());
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    private static void check(String call, int code) {
        if (code != 0) {
            throw new LlamaException(call + " failed with MPI error " + code);
        }
    }

    private static RuntimeException rethrow(Throwable e) {
        return e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }

    private MethodHandle libc(String name, FunctionDescriptor fd) {
        return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(
                () -> new LlamaException("the C library has no " + name)), fd);
    }

    private void setenvIfAbsent(String name, String value) throws Throwable {
        MethodHandle setenv = libc("setenv", FunctionDescriptor.of(INT, PTR, PTR, INT));
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) setenv.invokeExact(arena.allocateFrom(name), arena.allocateFrom(value), 0);
        }
    }

    private MemorySegment symbol(String name, String whyMissing) throws Throwable {
        MethodHandle dlsym = libc("dlsym", FunctionDescriptor.of(PTR, PTR, PTR));
        MemorySegment address;
        try (Arena arena = Arena.ofConfined()) {
            address = (MemorySegment) dlsym.invokeExact(handle, arena.allocateFrom(name));
        }
        if (address.address() == 0) {
            throw new LlamaException("the MPI library has no symbol " + name
                    + (whyMissing == null ? "" : ": " + whyMissing));
        }
        return address;
    }

    private MethodHandle function(String name, FunctionDescriptor fd) throws Throwable {
        return linker.downcallHandle(symbol(name, null), fd);
    }
}
