package dev.llama3j.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Memory of its own for weights repacked at load, freed when unreachable. On Linux it is mapped anonymous memory
 * with transparent huge pages asked for ({@code madvise(MADV_HUGEPAGE)}): the repacking then faults in one 2 MB page
 * at a time instead of 512 small ones, and a VM's page faults are expensive (figures: docs/performance.md).
 * Elsewhere, or when the calls are not available, an ordinary zeroed allocation.
 */
final class WeightMemory {
    private WeightMemory() {}

    private static final long HUGE_PAGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;

    private static final MethodHandle MMAP;
    private static final MethodHandle MADVISE;
    private static final MethodHandle MUNMAP;

    static {
        MethodHandle mmap = null;
        MethodHandle madvise = null;
        MethodHandle munmap = null;
        if (System.getProperty("os.name", "").equals("Linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            } catch (RuntimeException | LinkageError e) {
                mmap = null; // no native access: the ordinary allocation below
            }
        }
        MMAP = mmap;
        MADVISE = madvise;
        MUNMAP = munmap;
    }

    /** {@code bytes} of zeroed memory, 64-byte aligned, released when the returned segment becomes unreachable. */
    static MemorySegment allocate(long bytes) {
        if (MMAP != null && bytes >= HUGE_PAGE) {
            MemorySegment mapped = mapAnonymous(bytes);
            if (mapped != null) {
                return mapped;
            }
        }
        return Arena.ofAuto().allocate(bytes, 64);
    }

    private static MemorySegment mapAnonymous(long bytes) {
        try {
            long length = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
            MemorySegment at = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, length, PROT_READ_WRITE,
                    MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (at.address() == -1L) {
                return null;
            }
            int ignored = (int) MADVISE.invokeExact(at, length, MADV_HUGEPAGE); // a hint: without it, small pages
            return at.reinterpret(length, Arena.ofAuto(), WeightMemory::unmap).asSlice(0, bytes);
        } catch (Throwable e) {
            return null;
        }
    }

    private static void unmap(MemorySegment at) {
        try {
            int ignored = (int) MUNMAP.invokeExact(at, at.byteSize());
        } catch (Throwable e) {
            // nothing to do: the process keeps the mapping
        }
    }
}
