using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using TorchSharp;

namespace RnnCompiler.Benchmarks.Torch;

/// <summary>
/// Makes TorchSharp load on this machine, once per process, before the first <c>torch</c> call; then sets one thread.
/// </summary>
/// <remarks>
/// <para>
/// <b>Why.</b> TorchSharp 0.107.0's native glue, <c>libLibTorchSharp.so</c>, was linked against GCC 13's libstdc++ and
/// so asks for the symbol version <c>GLIBCXX_3.4.32</c>. Debian 12's libstdc++ stops at <c>GLIBCXX_3.4.30</c>, and the
/// dynamic loader refuses the whole library ("version `GLIBCXX_3.4.32' not found"); TorchSharp then reports, wrongly,
/// that the project lacks a reference to <c>libtorch-cpu-linux-x64</c>. The only symbol the library takes from that
/// version is <c>std::ios_base_library_init()</c>. GCC 13's &lt;iostream&gt; no longer puts a static
/// <c>std::ios_base::Init</c> object into every file that includes it; it only references that symbol, so that the
/// linker pulls in libstdc++'s own initialisation of <c>std::cout</c> and friends. Nothing calls it (no relocation
/// refers to it), and with the older libstdc++ the streams are initialised by the <c>ios_base::Init</c> objects of the
/// libraries built by older compilers, libtorch among them, which is loaded before <c>libLibTorchSharp.so</c>.
/// </para>
/// <para>
/// <b>What.</b> An ELF shared library lists, in its <c>.gnu.version_r</c> section (type <c>SHT_GNU_verneed</c>), each
/// library it needs and, under each, the symbol versions it needs from it (<c>Elf64_Vernaux</c> records). A record
/// whose <c>vna_flags</c> has <c>VER_FLG_WEAK</c> (0x2) is a weak requirement: glibc's loader accepts a missing weak
/// version (it only says so with <c>LD_DEBUG</c>) instead of failing. <see cref="PatchWeakVersion"/> sets that one bit
/// on the <c>GLIBCXX_3.4.32</c> record: two bytes of the file change, nothing moves. It first checks that no dynamic
/// relocation refers to a symbol of that version, so a future build that really calls a GCC 13 function is refused
/// loudly instead of failing later with an unresolved symbol.
/// </para>
/// <para>
/// <b>Where.</b> Only the copy in the application's output folder (<see cref="AppContext.BaseDirectory"/>), which the
/// build copied from the NuGet cache; never the cache. The patched bytes go to a new file that then replaces the
/// output copy by rename, so even an output file hard-linked to the cache would not change the cache's file. A build
/// that copies the library again simply gets it patched again at the next start. Running it twice changes nothing the
/// second time (the bit is already set, nothing is written).
/// </para>
/// </remarks>
public static class TorchLoader
{
    /// <summary>The symbol versions marked weak: GCC 13's libstdc++ version, missing from Debian 12.</summary>
    private static readonly string[] WeakVersions = ["GLIBCXX_3.4.32"];

    private static readonly object Gate = new();
    private static bool _initialized;

    /// <summary>The file TorchSharp loads first, from the folder of <c>TorchSharp.dll</c>.</summary>
    public static string LibraryPath => Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");

    /// <summary>
    /// Patches the output folder's <c>libLibTorchSharp.so</c> when needed, then loads TorchSharp and sets it to one
    /// intra-op and one inter-op thread. Call before any other <c>torch</c> member; later calls do nothing.
    /// </summary>
    public static void Initialize()
    {
        lock (Gate)
        {
            if (_initialized) return;
            if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            {
                throw new PlatformNotSupportedException("The TorchSharp peers are set up for linux-x64 (libtorch-cpu-linux-x64).");
            }

            string path = LibraryPath;
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"{path} is missing: the benchmark project must be built with <RuntimeIdentifier>linux-x64</RuntimeIdentifier>, which copies TorchSharp's native libraries next to the program.", path);
            }

            PatchWeakVersion(path, WeakVersions);
            ConfigureTorch();
            _initialized = true;
        }
    }

    // A separate method, so that nothing of TorchSharp (whose static constructor loads the native library) is touched
    // while the method above runs: the JIT compiles this one only when it is first called, after the patch.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ConfigureTorch()
    {
        torch.set_num_threads(1);
        torch.set_num_interop_threads(1);
    }

    /// <summary>
    /// Switches PyTorch's use of oneDNN (MKL-DNN) on or off for the whole process, as Python's
    /// <c>torch.backends.mkldnn.enabled = …</c> does. TorchSharp has no binding for it (its <c>torch.backends</c> has
    /// only <c>cuda</c> and <c>cudnn</c>), so this calls the two exported C++ functions that Python's binding calls:
    /// <c>at::globalContext()</c> and <c>at::Context::setUserEnabledMkldnn(bool)</c> (Itanium ABI: the object as the
    /// first argument). On the CPU it decides, among others, whether <c>nn.LSTM</c> runs oneDNN's fused RNN kernel.
    /// </summary>
    public static bool OneDnnEnabled
    {
        get
        {
            Initialize();
            return NativeContext.UserEnabledMkldnn(NativeContext.GlobalContext());
        }

        set
        {
            Initialize();
            NativeContext.SetUserEnabledMkldnn(NativeContext.GlobalContext(), value);
        }
    }

    /// <summary>
    /// Marks the requirements of <paramref name="versions"/> in the ELF file at <paramref name="path"/> as weak
    /// (<c>vna_flags |= VER_FLG_WEAK</c>). Returns how many records changed (0 when already done or not present).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a 64-bit little-endian ELF file with a version-needs
    /// section, or a relocation refers to a symbol of one of the versions (weakening would then break the library).</exception>
    [SupportedOSPlatform("linux")]
    public static int PatchWeakVersion(string path, IReadOnlyCollection<string> versions)
    {
        byte[] elf = File.ReadAllBytes(path);
        int changed = MarkWeak(elf, versions, Path.GetFileName(path));
        if (changed == 0) return 0;

        // Write beside the original, then rename over it: the original's bytes (and any file hard-linked to them, such
        // as a NuGet cache entry) are never written, and a reader never sees a half-written library.
        string temporary = $"{path}.{Environment.ProcessId}.patching";
        File.WriteAllBytes(temporary, elf);
        File.SetUnixFileMode(temporary, File.GetUnixFileMode(path));
        File.Move(temporary, path, overwrite: true);
        return changed;
    }

    // ELF64 constants (System V gABI and the GNU symbol-versioning extension, <elf.h>).
    private const uint ShtRela = 4;                // SHT_RELA: relocations with addends (.rela.dyn, .rela.plt)
    private const uint ShtDynsym = 11;             // SHT_DYNSYM: the dynamic symbol table
    private const uint ShtGnuVersym = 0x6fffffff;  // SHT_GNU_versym (.gnu.version): one 16-bit version index per dynamic symbol
    private const uint ShtGnuVerneed = 0x6ffffffe; // SHT_GNU_verneed (.gnu.version_r): the versions needed
    private const ushort VerFlgWeak = 0x2;         // VER_FLG_WEAK in vna_flags

    /// <summary>Sets <c>VER_FLG_WEAK</c> on the <c>Elf64_Vernaux</c> records named in <paramref name="versions"/>, in memory.</summary>
    private static int MarkWeak(byte[] elf, IReadOnlyCollection<string> versions, string name)
    {
        // Elf64_Ehdr: e_ident "\x7fELF", EI_CLASS (byte 4) = 2 for 64-bit, EI_DATA (byte 5) = 1 for little-endian;
        // e_shoff (section header table offset) at 0x28, e_shentsize at 0x3A, e_shnum at 0x3C.
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException($"{name} is not a 64-bit little-endian ELF file.");
        }

        var file = elf.AsSpan();
        long sectionTable = ReadInt64(file, 0x28);
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(file[0x3A..]);
        int sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(file[0x3C..]);

        Section? verneed = null, versym = null;
        var relocations = new List<Section>();
        for (int i = 0; i < sectionCount; i++)
        {
            Section section = Section.Read(elf, sectionTable, entrySize, i);
            if (section.Type == ShtGnuVerneed) verneed = section;
            else if (section.Type == ShtGnuVersym) versym = section;
            else if (section.Type == ShtRela && Section.Read(elf, sectionTable, entrySize, section.Link).Type == ShtDynsym) relocations.Add(section);
        }

        if (verneed is not { } needs || versym is not { } symbolVersions)
        {
            throw new InvalidDataException($"{name} has no symbol-version sections (.gnu.version_r, .gnu.version).");
        }

        // The names in the version records are offsets into the string table that sh_link names (.dynstr).
        int strings = Section.Read(elf, sectionTable, entrySize, needs.Link).Offset;

        // Elf64_Verneed (16 bytes), sh_info of them chained by vn_next: vn_version u16, vn_cnt u16 (records under it),
        // vn_file u32 (library name), vn_aux u32 (offset of the first record), vn_next u32 (offset of the next entry).
        // Elf64_Vernaux (16 bytes), chained by vna_next: vna_hash u32, vna_flags u16 at +4, vna_other u16 at +6 (the
        // version index that .gnu.version gives the symbols of this version), vna_name u32 at +8, vna_next u32 at +12.
        int changed = 0;
        int entry = needs.Offset;
        for (int n = 0; n < needs.Info; n++)
        {
            int count = BinaryPrimitives.ReadUInt16LittleEndian(file[(entry + 2)..]);
            int record = entry + (int)BinaryPrimitives.ReadUInt32LittleEndian(file[(entry + 8)..]);
            for (int a = 0; a < count; a++)
            {
                ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(file[(record + 4)..]);
                ushort index = BinaryPrimitives.ReadUInt16LittleEndian(file[(record + 6)..]);
                string version = CString(file, strings + (int)BinaryPrimitives.ReadUInt32LittleEndian(file[(record + 8)..]));
                if (Contains(versions, version) && (flags & VerFlgWeak) == 0)
                {
                    RefuseIfRelocated(file, relocations, symbolVersions, index, version, name);
                    BinaryPrimitives.WriteUInt16LittleEndian(file[(record + 4)..], (ushort)(flags | VerFlgWeak));
                    changed++;
                }

                record += (int)BinaryPrimitives.ReadUInt32LittleEndian(file[(record + 12)..]);
            }

            entry += (int)BinaryPrimitives.ReadUInt32LittleEndian(file[(entry + 12)..]);
        }

        return changed;
    }

    /// <summary>
    /// Throws when a dynamic relocation refers to a symbol whose version index is <paramref name="index"/>: such a
    /// symbol must be found at load time, and weakening its version would only turn the clear error into a later one.
    /// </summary>
    private static void RefuseIfRelocated(ReadOnlySpan<byte> file, List<Section> relocations, Section versym, ushort index, string version, string name)
    {
        // Elf64_Rela (24 bytes): r_offset u64, r_info u64 (symbol index in the high 32 bits), r_addend i64.
        // .gnu.version holds one u16 per dynamic symbol; bit 15 marks a hidden symbol, the rest is the version index.
        foreach (Section rela in relocations)
        {
            for (int at = rela.Offset; at + 24 <= rela.Offset + rela.Size; at += rela.EntrySize)
            {
                int symbol = (int)(BinaryPrimitives.ReadUInt64LittleEndian(file[(at + 8)..]) >> 32);
                if (symbol == 0) continue; // relative relocations name no symbol
                ushort symbolVersion = BinaryPrimitives.ReadUInt16LittleEndian(file[(versym.Offset + 2 * symbol)..]);
                if ((symbolVersion & 0x7fff) == index)
                {
                    throw new InvalidDataException($"{name}: dynamic symbol {symbol} of version {version} is relocated, so that version cannot be made optional; this TorchSharp build needs a newer libstdc++.");
                }
            }
        }
    }

    private static bool Contains(IReadOnlyCollection<string> versions, string version)
    {
        foreach (string candidate in versions)
        {
            if (string.Equals(candidate, version, StringComparison.Ordinal)) return true;
        }

        return false;
    }

    private static long ReadInt64(ReadOnlySpan<byte> bytes, int offset) => BinaryPrimitives.ReadInt64LittleEndian(bytes[offset..]);

    /// <summary>The zero-terminated ASCII string at <paramref name="offset"/>.</summary>
    private static string CString(ReadOnlySpan<byte> bytes, int offset)
    {
        var rest = bytes[offset..];
        return Encoding.ASCII.GetString(rest[..rest.IndexOf((byte)0)]);
    }

    /// <summary>The fields of an <c>Elf64_Shdr</c> used here.</summary>
    private readonly record struct Section(uint Type, int Offset, int Size, int Link, int Info, int EntrySize)
    {
        /// <summary>
        /// Section header <paramref name="index"/> of the table at <paramref name="table"/>. Elf64_Shdr (64 bytes):
        /// sh_type at +4, sh_offset at +24, sh_size at +32, sh_link at +40, sh_info at +44, sh_entsize at +56.
        /// </summary>
        public static Section Read(ReadOnlySpan<byte> elf, long table, int entrySize, int index)
        {
            var header = elf.Slice(checked((int)(table + (long)index * entrySize)), 64);
            return new Section(
                Type: BinaryPrimitives.ReadUInt32LittleEndian(header[4..]),
                Offset: checked((int)ReadInt64(header, 24)),
                Size: checked((int)ReadInt64(header, 32)),
                Link: (int)BinaryPrimitives.ReadUInt32LittleEndian(header[40..]),
                Info: (int)BinaryPrimitives.ReadUInt32LittleEndian(header[44..]),
                EntrySize: checked((int)ReadInt64(header, 56)));
        }
    }

    /// <summary>The two libtorch C++ functions behind Python's <c>torch.backends.mkldnn.enabled</c>.</summary>
    private static class NativeContext
    {
        // libtorch_cpu.so is already loaded by then (libLibTorchSharp.so depends on it); the runtime finds it in the
        // application folder, where the build copied it. The entry points are the Itanium-mangled C++ names.
        private const string Library = "libtorch_cpu.so";

        [DllImport(Library, EntryPoint = "_ZN2at13globalContextEv")]
        public static extern IntPtr GlobalContext();

        [DllImport(Library, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
        [return: MarshalAs(UnmanagedType.U1)]
        public static extern bool UserEnabledMkldnn(IntPtr context);

        [DllImport(Library, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
        public static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);
    }
}
