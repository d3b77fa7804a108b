package org.sonarllm.onnx.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.sonarllm.ModelFormatException;

/**
 * Bounds-checked reader of a zip archive's central directory (ZIP64 included) over an open file
 * channel. Every size and offset is validated against the file before use; entry data is either
 * memory-mapped (stored entries) or inflated with a hard cap (deflated entries). Nothing is
 * extracted to disk. Immutable and thread-safe after {@link #open}.
 */
final class ZipArchive {
    /** Largest central directory read onto the heap. */
    static final long MAX_CENTRAL_DIRECTORY_BYTES = 64L << 20;
    /** Most entries accepted. */
    static final int MAX_ENTRIES = 1 << 20;
    /** Largest entry inflated onto the heap. */
    static final long MAX_INFLATED_BYTES = Integer.MAX_VALUE - 8;
    /** Deflate cannot expand data by more than about 1032:1; a larger declared ratio is a bomb. */
    static final long MAX_DEFLATE_RATIO = 1032;

    private static final int EOCD_SIG = 0x06054b50;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    private static final int ZIP64_EOCD_SIG = 0x06064b50;
    private static final int CENTRAL_SIG = 0x02014b50;
    private static final int LOCAL_SIG = 0x04034b50;
    private static final long U32 = 0xffffffffL;

    /** One file of the archive; {@code dataOffset} is where its (compressed) bytes start. */
    record Entry(String name, int method, long compressedSize, long size, int crc, long localOffset,
            long dataOffset) {
        boolean stored() {
            return method == 0;
        }
    }

    private final String file;
    private final FileChannel channel;
    private final Map<String, Entry> entries;

    private ZipArchive(String file, FileChannel channel, Map<String, Entry> entries) {
        this.file = file;
        this.channel = channel;
        this.entries = entries;
    }

    /**
     * Reads and validates the central directory and every local header.
     *
     * @param file the file name for messages
     * @param channel the open file (not closed here)
     * @return the archive
     * @throws ModelFormatException if the archive is truncated, inconsistent or uses unsupported features
     */
    static ZipArchive open(String file, FileChannel channel) throws IOException {
        long size = channel.size();
        int tailLen = (int) Math.min(size, 22 + 0xffff);
        ByteBuffer tail = read(channel, size - tailLen, tailLen);
        int eocd = -1;
        for (int p = tailLen - 22; p >= 0; p--) {
            if (tail.getInt(p) == EOCD_SIG && p + 22 + (tail.getShort(p + 20) & 0xffff) == tailLen) {
                eocd = p;
                break;
            }
        }
        if (eocd < 0) {
            throw new ModelFormatException(file + ": expected a zip end-of-central-directory record in the last "
                    + tailLen + " bytes, found none (truncated or not a zip archive)");
        }
        long eocdPos = size - tailLen + eocd;
        int disk = tail.getShort(eocd + 4) & 0xffff;
        int cdDisk = tail.getShort(eocd + 6) & 0xffff;
        long count = tail.getShort(eocd + 10) & 0xffff;
        long cdSize = tail.getInt(eocd + 12) & U32;
        long cdOffset = tail.getInt(eocd + 16) & U32;
        long cdLimit = eocdPos;
        if (eocdPos >= 20 && read(channel, eocdPos - 20, 4).getInt(0) == ZIP64_LOCATOR_SIG) {
            ByteBuffer loc = read(channel, eocdPos - 20, 20);
            long z64 = loc.getLong(8);
            if (loc.getInt(4) != 0 || loc.getInt(16) != 1 || z64 < 0 || z64 > eocdPos - 20 - 56) {
                throw new ModelFormatException(file + ": expected a single-disk ZIP64 locator pointing before it, found"
                        + " disk " + loc.getInt(4) + " of " + loc.getInt(16) + " at offset " + z64);
            }
            ByteBuffer z = read(channel, z64, 56);
            if (z.getInt(0) != ZIP64_EOCD_SIG || z.getLong(4) < 44) {
                throw new ModelFormatException(file + ": expected a ZIP64 end-of-central-directory record at offset "
                        + z64 + ", found none");
            }
            disk = z.getInt(16);
            cdDisk = z.getInt(20);
            count = z.getLong(32);
            cdSize = z.getLong(40);
            cdOffset = z.getLong(48);
            cdLimit = z64;
        }
        if (disk != 0 || cdDisk != 0) {
            throw new ModelFormatException(file + ": expected a single-disk zip archive, found disk " + disk);
        }
        if (count < 0 || count > MAX_ENTRIES) {
            throw new ModelFormatException(file + ": expected at most " + MAX_ENTRIES + " zip entries, found " + count);
        }
        if (cdSize < 0 || cdOffset < 0 || cdSize > MAX_CENTRAL_DIRECTORY_BYTES || cdOffset > cdLimit - cdSize
                || cdSize < count * 46) {
            throw new ModelFormatException(file + ": expected a central directory of " + count + " entries within [0, "
                    + cdLimit + "), found " + cdSize + " bytes at offset " + cdOffset + " (truncated or corrupt)");
        }
        ByteBuffer cd = read(channel, cdOffset, (int) cdSize);
        Map<String, Entry> map = new HashMap<>();
        List<Entry> list = new ArrayList<>();
        int p = 0;
        for (long i = 0; i < count; i++) {
            Entry e = central(file, channel, cd, p, cdOffset);
            p = nextCentral(cd, p);
            if (map.put(e.name, e) != null) {
                throw new ModelFormatException(file + ": expected unique zip entry names, found '" + e.name + "' twice");
            }
            list.add(e);
        }
        list.sort((a, b) -> Long.compare(a.localOffset, b.localOffset));
        for (int i = 1; i < list.size(); i++) {
            Entry a = list.get(i - 1);
            Entry b = list.get(i);
            if (a.dataOffset + a.compressedSize > b.localOffset) {
                throw new ModelFormatException(file + ": zip entries '" + a.name + "' and '" + b.name
                        + "' overlap: expected disjoint byte ranges, found [" + a.localOffset + ", "
                        + (a.dataOffset + a.compressedSize) + ") and [" + b.localOffset + ", ...)");
            }
        }
        return new ZipArchive(file, channel, Collections.unmodifiableMap(map));
    }

    private static int nextCentral(ByteBuffer cd, int p) {
        return p + 46 + (cd.getShort(p + 28) & 0xffff) + (cd.getShort(p + 30) & 0xffff) + (cd.getShort(p + 32) & 0xffff);
    }

    private static Entry central(String file, FileChannel ch, ByteBuffer cd, int p, long cdOffset) throws IOException {
        if (p > cd.limit() - 46 || cd.getInt(p) != CENTRAL_SIG) {
            throw new ModelFormatException(file + ": expected a central directory header at offset " + (cdOffset + p)
                    + ", found " + (p > cd.limit() - 46 ? "the end of the directory" : "other bytes"));
        }
        int flags = cd.getShort(p + 8) & 0xffff;
        int method = cd.getShort(p + 10) & 0xffff;
        int crc = cd.getInt(p + 16);
        long csize = cd.getInt(p + 20) & U32;
        long usize = cd.getInt(p + 24) & U32;
        int nameLen = cd.getShort(p + 28) & 0xffff;
        int extraLen = cd.getShort(p + 30) & 0xffff;
        int commentLen = cd.getShort(p + 32) & 0xffff;
        long local = cd.getInt(p + 42) & U32;
        if ((long) p + 46 + nameLen + extraLen + commentLen > cd.limit()) {
            throw new ModelFormatException(file + ": central directory entry at offset " + (cdOffset + p)
                    + " runs past the end of the directory");
        }
        byte[] nameBytes = new byte[nameLen];
        cd.get(p + 46, nameBytes);
        String name = checkedName(file, nameBytes);
        if ((flags & 0x41) != 0) {
            throw new ModelFormatException(file + ": zip entry '" + name + "': expected no encryption, found flags 0x"
                    + Integer.toHexString(flags));
        }
        // ZIP64 extended information: present fields are exactly those saturated in the fixed header
        for (int q = p + 46 + nameLen, end = q + extraLen; q + 4 <= end;) {
            int id = cd.getShort(q) & 0xffff;
            int len = cd.getShort(q + 2) & 0xffff;
            if (q + 4 + len > end) {
                throw new ModelFormatException(file + ": zip entry '" + name + "': extra field runs past its header");
            }
            if (id == 1) {
                int r = q + 4;
                int need = (usize == U32 ? 8 : 0) + (csize == U32 ? 8 : 0) + (local == U32 ? 8 : 0);
                if (len < need) {
                    throw new ModelFormatException(file + ": zip entry '" + name + "': expected a ZIP64 field of at least "
                            + need + " bytes, found " + len);
                }
                if (usize == U32) {
                    usize = cd.getLong(r);
                    r += 8;
                }
                if (csize == U32) {
                    csize = cd.getLong(r);
                    r += 8;
                }
                if (local == U32) {
                    local = cd.getLong(r);
                }
            }
            q += 4 + len;
        }
        if (usize < 0 || csize < 0 || local < 0 || local > cdOffset - 30) {
            throw new ModelFormatException(file + ": zip entry '" + name + "': expected sizes >= 0 and a local header "
                    + "before the central directory (offset " + cdOffset + "), found size " + usize + ", compressed "
                    + csize + ", offset " + local);
        }
        if (method == 0 && csize != usize) {
            throw new ModelFormatException(file + ": stored zip entry '" + name + "': expected equal sizes, found "
                    + csize + " compressed and " + usize + " uncompressed");
        }
        ByteBuffer lh = read(ch, local, 30);
        int lNameLen = lh.getShort(26) & 0xffff;
        int lExtraLen = lh.getShort(28) & 0xffff;
        if (lh.getInt(0) != LOCAL_SIG || (lh.getShort(8) & 0xffff) != method || local + 30 + lNameLen > cdOffset) {
            throw new ModelFormatException(file + ": zip entry '" + name + "': expected a local header with method "
                    + method + " at offset " + local + ", found other bytes");
        }
        byte[] lName = new byte[lNameLen];
        read(ch, local + 30, lNameLen).get(0, lName);
        if (!Arrays.equals(lName, nameBytes)) {
            throw new ModelFormatException(file + ": zip entry '" + name + "': local header names it '"
                    + new String(lName, StandardCharsets.UTF_8) + "'");
        }
        long data = local + 30 + lNameLen + lExtraLen;
        if (data > cdOffset || csize > cdOffset - data) {
            throw new ModelFormatException(file + ": zip entry '" + name + "': expected " + csize
                    + " bytes of data within the file before offset " + cdOffset + ", found them starting at " + data
                    + " (truncated)");
        }
        return new Entry(name, method, csize, usize, crc, local, data);
    }

    private static String checkedName(String file, byte[] bytes) {
        String name;
        try {
            name = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file + ": expected UTF-8 zip entry names, found bytes "
                    + Arrays.toString(Arrays.copyOf(bytes, Math.min(bytes.length, 32))));
        }
        String bad = null;
        if (name.isEmpty()) {
            bad = "an empty name";
        } else if (name.startsWith("/")) {
            bad = "an absolute path";
        } else if (name.indexOf('\\') >= 0 || name.indexOf(':') >= 0 || name.indexOf('\0') >= 0) {
            bad = "a backslash, colon or NUL";
        } else {
            for (String seg : name.split("/", -1)) {
                if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                    bad = "an empty, '.' or '..' path segment";
                    break;
                }
            }
        }
        if (bad != null) {
            throw new ModelFormatException(file + ": expected relative zip entry names without path tricks, found '"
                    + printable(name) + "' (" + bad + ")");
        }
        return name;
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && i < 120; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return b.toString();
    }

    static ByteBuffer read(FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                throw new IOException("unexpected end of file at offset " + (pos + b.position()));
            }
        }
        return b.flip();
    }

    /** @return every entry by name */
    Map<String, Entry> entries() {
        return entries;
    }

    /**
     * Reads a whole entry onto the heap, checking its CRC-32.
     *
     * @param e the entry
     * @param max the largest size accepted
     * @return its bytes
     */
    byte[] readAll(Entry e, long max) throws IOException {
        if (e.size > max) {
            throw new ModelFormatException(file + ": zip entry '" + e.name + "': expected at most " + max
                    + " bytes, found " + e.size);
        }
        byte[] out;
        if (e.stored()) {
            out = new byte[(int) e.size];
            read(channel, e.dataOffset, out.length).get(out);
        } else {
            out = inflate(e);
        }
        CRC32 crc = new CRC32();
        crc.update(out);
        if ((int) crc.getValue() != e.crc) {
            throw new ModelFormatException(file + ": zip entry '" + e.name + "': expected CRC-32 "
                    + Integer.toHexString(e.crc) + ", found " + Long.toHexString(crc.getValue()) + " (corrupt)");
        }
        return out;
    }

    /**
     * A byte range of an entry's uncompressed content: a read-only memory mapping for stored
     * entries (no copy), an inflated heap copy otherwise.
     *
     * @param e the entry
     * @param offset first byte
     * @param length number of bytes (at most 2 GiB)
     * @return little-endian bytes
     */
    ByteBuffer slice(Entry e, long offset, long length) throws IOException {
        if (offset < 0 || length < 0 || length > Integer.MAX_VALUE || offset > e.size - length) {
            throw new ModelFormatException(file + ": zip entry '" + e.name + "': expected a range within [0, " + e.size
                    + "], found " + length + " bytes at " + offset);
        }
        if (length == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        if (e.stored()) {
            return channel.map(FileChannel.MapMode.READ_ONLY, e.dataOffset + offset, length).order(ByteOrder.LITTLE_ENDIAN);
        }
        return ByteBuffer.wrap(readAll(e, MAX_INFLATED_BYTES), (int) offset, (int) length).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    private byte[] inflate(Entry e) throws IOException {
        if (e.method != 8) {
            throw new ModelFormatException(file + ": zip entry '" + e.name + "': expected compression method 0 (stored)"
                    + " or 8 (deflate), found " + e.method);
        }
        if (e.size > e.compressedSize * MAX_DEFLATE_RATIO + 1024) {
            throw new ModelFormatException(file + ": zip entry '" + e.name + "': expected at most " + MAX_DEFLATE_RATIO
                    + " times its " + e.compressedSize + " compressed bytes, found a declared size of " + e.size
                    + " (zip bomb)");
        }
        // grows with the data actually inflated, never past the declared size
        byte[] out = new byte[(int) Math.min(e.size, 1 << 20)];
        Inflater inf = new Inflater(true);
        try {
            ByteBuffer in = ByteBuffer.allocate(1 << 16);
            long pos = e.dataOffset;
            long end = e.dataOffset + e.compressedSize;
            int n = 0;
            byte[] probe = new byte[1];
            while (true) {
                if (inf.needsInput() && pos < end) {
                    in.clear().limit((int) Math.min(in.capacity(), end - pos));
                    while (in.hasRemaining()) {
                        if (channel.read(in, pos + in.position()) < 0) {
                            throw new ModelFormatException(file + ": zip entry '" + e.name + "' is truncated");
                        }
                    }
                    pos += in.flip().remaining();
                    inf.setInput(in);
                }
                if (n == out.length && n < e.size) {
                    out = Arrays.copyOf(out, (int) Math.min(e.size, 2L * n));
                }
                int got = n < out.length ? inf.inflate(out, n, out.length - n) : inf.inflate(probe);
                if (n == e.size && got > 0) {
                    throw new ModelFormatException(file + ": zip entry '" + e.name + "': expected " + e.size
                            + " bytes when inflated, found more (zip bomb or corrupt entry)");
                }
                n += got;
                if (inf.finished()) {
                    break;
                }
                if (got == 0 && (inf.needsDictionary() || (inf.needsInput() && pos >= end))) {
                    throw new ModelFormatException(file + ": zip entry '" + e.name + "': deflate stream ends after "
                            + n + " of " + e.size + " bytes (truncated or corrupt)");
                }
            }
            if (n != e.size) {
                throw new ModelFormatException(file + ": zip entry '" + e.name + "': expected " + e.size
                        + " bytes when inflated, found " + n);
            }
            return out;
        } catch (DataFormatException ex) {
            throw new ModelFormatException(file + ": zip entry '" + e.name + "': invalid deflate data: " + ex.getMessage());
        } finally {
            inf.end();
        }
    }
}
