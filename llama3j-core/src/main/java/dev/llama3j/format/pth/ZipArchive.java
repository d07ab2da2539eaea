package dev.llama3j.format.pth;

import dev.llama3j.LlamaException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The zip container that {@code torch.save} writes, read in place: only the central directory is parsed,
 * and {@link #entry} hands out slices of the file. Torch stores entries uncompressed and pads each local
 * header's extra field so data starts 64-byte aligned; files over 4 GiB carry ZIP64 records. Every offset
 * and size is checked against the file before use, so a corrupt or hostile archive is a
 * {@link LlamaException}, never an out-of-bounds read.
 */
public final class ZipArchive {
    private static final int EOCD_SIG = 0x06054b50;
    private static final int EOCD_SIZE = 22;
    private static final int MAX_COMMENT = 0xFFFF;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    private static final int ZIP64_LOCATOR_SIZE = 20;
    private static final int ZIP64_EOCD_SIG = 0x06064b50;
    private static final int ZIP64_EOCD_SIZE = 56;
    private static final int CENTRAL_SIG = 0x02014b50;
    private static final int CENTRAL_SIZE = 46;
    private static final int LOCAL_SIG = 0x04034b50;
    private static final int LOCAL_SIZE = 30;
    private static final int ZIP64_EXTRA_ID = 0x0001;
    private static final long U16_MAX = 0xFFFFL;
    /** Far above any real checkpoint (a few thousand entries); bounds what a hostile directory can allocate. */
    private static final long MAX_ENTRIES = 1 << 20;
    private static final long U32_MAX = 0xFFFFFFFFL;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One central directory record: where the entry's local header is and how large its data is. */
    private record Entry(String name, byte[] rawName, int flags, int method, long compressedSize, long size,
                         long localHeaderOffset) {
    }

    private final String source;
    private final MemorySegment file;
    private final Map<String, Entry> entries;

    private ZipArchive(String source, MemorySegment file, Map<String, Entry> entries) {
        this.source = source;
        this.file = file;
        this.entries = entries;
    }

    /**
     * Reads the central directory of the zip in {@code file}.
     *
     * @param source names the file in error messages
     */
    public static ZipArchive read(String source, MemorySegment file) {
        return new Reader(source, file).read();
    }

    /** Entry names in central directory order. */
    public List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(entries.keySet()));
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** The stored bytes of entry {@code name}, as a slice of the file (no copy). */
    public MemorySegment entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new LlamaException(source + ": zip archive has no entry '" + name + "'");
        }
        String where = source + ": zip entry '" + name + "'";
        if ((e.flags & 1) != 0) {
            throw new LlamaException(where + " is encrypted");
        }
        if (e.method != 0) {
            throw new LlamaException(where + " is compressed (method " + e.method
                    + "); only stored (uncompressed) entries can be read in place");
        }
        if (e.compressedSize != e.size) {
            throw new LlamaException(where + " is stored but its compressed size " + e.compressedSize
                    + " differs from its size " + e.size);
        }
        long at = e.localHeaderOffset;
        if (LOCAL_SIZE > file.byteSize() - at) {
            throw new LlamaException(where + ": local header at offset " + at + " runs past the end of the file ("
                    + file.byteSize() + " bytes)");
        }
        if (file.get(U32, at) != LOCAL_SIG) {
            throw new LlamaException(where + ": no local header signature at offset " + at);
        }
        long nameLen = u16(at + 26);
        long extraLen = u16(at + 28);
        long dataStart = at + LOCAL_SIZE + nameLen + extraLen;
        if (dataStart > file.byteSize() || e.size > file.byteSize() - dataStart) {
            throw new LlamaException(where + ": data of " + e.size + " bytes at offset " + dataStart
                    + " runs past the end of the file (" + file.byteSize() + " bytes)");
        }
        if (!Arrays.equals(file.asSlice(at + LOCAL_SIZE, nameLen).toArray(ValueLayout.JAVA_BYTE), e.rawName)) {
            throw new LlamaException(where + ": the local header at offset " + at
                    + " names a different entry than the central directory");
        }
        return file.asSlice(dataStart, e.size);
    }

    private long u16(long at) {
        return Short.toUnsignedLong(file.get(U16, at));
    }

    /** Parses the end records and the central directory; one instance per read. */
    private static final class Reader {
        private final String source;
        private final MemorySegment file;
        private final long size;

        Reader(String source, MemorySegment file) {
            this.source = source;
            this.file = file;
            this.size = file.byteSize();
        }

        ZipArchive read() {
            if (size < EOCD_SIZE) {
                throw corrupt("file of " + size + " bytes is too short to be a zip archive");
            }
            long eocd = findEndOfCentralDirectory();
            long entryCount = u16(eocd + 10);
            long cdSize = u32(eocd + 12);
            long cdOffset = u32(eocd + 16);
            long cdLimit = eocd;
            if (u16(eocd + 4) != 0 && u16(eocd + 4) != U16_MAX) {
                throw corrupt("multi-disk archives are not supported");
            }
            long locator = eocd - ZIP64_LOCATOR_SIZE;
            if (locator >= 0 && u32(locator) == ZIP64_LOCATOR_SIG) {
                long record = u64(locator + 8, "ZIP64 end record offset");
                if (record > locator - ZIP64_EOCD_SIZE) {
                    throw corrupt("ZIP64 end record offset " + record + " is outside the file");
                }
                if (u32(record) != ZIP64_EOCD_SIG) {
                    throw corrupt("no ZIP64 end record signature at offset " + record);
                }
                entryCount = u64(record + 32, "ZIP64 entry count");
                cdSize = u64(record + 40, "ZIP64 central directory size");
                cdOffset = u64(record + 48, "ZIP64 central directory offset");
                cdLimit = record;
            } else if (entryCount == U16_MAX || cdSize == U32_MAX || cdOffset == U32_MAX) {
                throw corrupt("end record needs ZIP64 values but the ZIP64 locator is missing");
            }
            if (cdOffset > cdLimit || cdSize > cdLimit - cdOffset) {
                throw corrupt("central directory (offset " + cdOffset + ", " + cdSize
                        + " bytes) does not lie before the end record at offset " + cdLimit);
            }
            if (entryCount > cdSize / CENTRAL_SIZE) {
                throw corrupt(entryCount + " entries cannot fit in a central directory of " + cdSize + " bytes");
            }
            if (entryCount > MAX_ENTRIES) {
                throw corrupt(entryCount + " entries is more than the " + MAX_ENTRIES + " supported");
            }
            return new ZipArchive(source, file, readEntries(cdOffset, cdOffset + cdSize, (int) entryCount));
        }

        /** The end record is the last 22 bytes unless a comment (at most 64 KiB) follows it. */
        private long findEndOfCentralDirectory() {
            long lowest = Math.max(0, size - EOCD_SIZE - MAX_COMMENT);
            for (long at = size - EOCD_SIZE; at >= lowest; at--) {
                if (file.get(U32, at) == EOCD_SIG && at + EOCD_SIZE + u16(at + 20) <= size) {
                    return at;
                }
            }
            throw corrupt("no end of central directory record (not a zip archive, or truncated)");
        }

        private Map<String, Entry> readEntries(long start, long end, int count) {
            Map<String, Entry> entries = new LinkedHashMap<>();
            long at = start;
            for (int i = 0; i < count; i++) {
                String where = "central directory entry " + i + " at offset " + at;
                if (CENTRAL_SIZE > end - at) {
                    throw corrupt(where + " runs past the end of the central directory");
                }
                if (u32(at) != CENTRAL_SIG) {
                    throw corrupt(where + " has no central directory signature");
                }
                int flags = (int) u16(at + 8);
                int method = (int) u16(at + 10);
                long compressedSize = u32(at + 20);
                long entrySize = u32(at + 24);
                long nameLen = u16(at + 28);
                long extraLen = u16(at + 30);
                long commentLen = u16(at + 32);
                long localOffset = u32(at + 42);
                if (nameLen + extraLen + commentLen > end - at - CENTRAL_SIZE) {
                    throw corrupt(where + ": name, extra field and comment run past the end of the central directory");
                }
                byte[] rawName = file.asSlice(at + CENTRAL_SIZE, nameLen).toArray(ValueLayout.JAVA_BYTE);
                String name = new String(rawName, StandardCharsets.UTF_8);
                // ZIP64 extra: the 8-byte values, in this order, of exactly the fields saturated above
                long extra = at + CENTRAL_SIZE + nameLen;
                long extraEnd = extra + extraLen;
                while (extraEnd - extra >= 4) {
                    long id = u16(extra);
                    long len = u16(extra + 2);
                    long body = extra + 4;
                    if (len > extraEnd - body) {
                        throw corrupt(where + " ('" + name + "'): extra field runs past its declared length");
                    }
                    if (id == ZIP64_EXTRA_ID) {
                        long field = body;
                        long fieldEnd = body + len;
                        if (entrySize == U32_MAX) {
                            entrySize = zip64Field(field, fieldEnd, where, "size");
                            field += 8;
                        }
                        if (compressedSize == U32_MAX) {
                            compressedSize = zip64Field(field, fieldEnd, where, "compressed size");
                            field += 8;
                        }
                        if (localOffset == U32_MAX) {
                            localOffset = zip64Field(field, fieldEnd, where, "local header offset");
                        }
                    }
                    extra = body + len;
                }
                if (entrySize == U32_MAX || compressedSize == U32_MAX || localOffset == U32_MAX) {
                    throw corrupt(where + " ('" + name + "'): needs a ZIP64 extra field, none found");
                }
                if (localOffset >= start) {
                    throw corrupt(where + " ('" + name + "'): local header offset " + localOffset
                            + " is not before the central directory at offset " + start);
                }
                if (entries.put(name, new Entry(name, rawName, flags, method, compressedSize, entrySize,
                        localOffset)) != null) {
                    throw corrupt("entry '" + name + "' appears twice");
                }
                at += CENTRAL_SIZE + nameLen + extraLen + commentLen;
            }
            return entries;
        }

        private long zip64Field(long at, long end, String where, String what) {
            if (8 > end - at) {
                throw corrupt(where + ": ZIP64 extra field is too short for the " + what);
            }
            return u64(at, what);
        }

        private long u16(long at) {
            return Short.toUnsignedLong(file.get(U16, at));
        }

        private long u32(long at) {
            return Integer.toUnsignedLong(file.get(U32, at));
        }

        /** A ZIP64 value; anything at or above 2^63 cannot describe a real file (callers check the rest). */
        private long u64(long at, String what) {
            long v = file.get(U64, at);
            if (v < 0) {
                throw corrupt(what + " " + Long.toUnsignedString(v) + " is impossibly large");
            }
            return v;
        }

        private LlamaException corrupt(String what) {
            return new LlamaException(source + ": corrupt zip archive: " + what);
        }
    }
}
