using System;
using System.Collections.Generic;
using System.Text;

namespace RnnCompiler.Fuzz;

/// <summary>
/// AFL-style havoc on a parent input: 1 to 16 stacked edits (bit flips, random and arithmetic bytes, chunks deleted,
/// repeated or copied, interesting integers in either byte order, splices with another corpus entry, format tokens,
/// cuts), and edits that keep the JSON's tokens whole (a string replaced by a format word, a number by an edge value, an
/// array element added or dropped), which reach the checks behind a valid parse. Half the time the 8-byte length prefix is made to agree with the header's last '}', so edits of the JSON get
/// past the length check and reach the parser.
/// </summary>
internal sealed class Mutator(Random random)
{
    private const int MaxLength = 8192;

    private static readonly long[] Interesting =
    [
        0, 1, -1, 2, 7, 8, 15, 16, 31, 32, 63, 64, 100, 127, 128, 255, 256, 512, 1000, 1024, 4096, 32767, 32768, 65535,
        65536, int.MaxValue, int.MinValue, uint.MaxValue, long.MaxValue, long.MinValue, 100L * 1024 * 1024, (100L * 1024 * 1024) + 1,
    ];

    /// <summary>The format's words: keys, dtypes, JSON tokens, numbers at the edges, escapes, the names the readers look up.</summary>
    private static readonly byte[][] Tokens = Array.ConvertAll(
        [
            "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "\"F64\"", "\"F32\"", "\"F16\"", "\"BF16\"",
            "\"I64\"", "\"I32\"", "\"I8\"", "\"U8\"", "\"BOOL\"", "\"F8_E4M3\"", "{", "}", "[", "]", ":", ",", "null", "true",
            "false", "-1", "-0", "0", "1e308", "1.5", "9223372036854775807", "18446744073709551616", "2147483648",
            "\"\\u0000\"", "\"\\ud800\"", "\\u", "\"\"", " ", "\t", "\"format\"", "\"rnncompiler-checkpoint\"", "\"optimizer\"",
            "\"Adam\"", "\"step\"", "\"skipped_updates\"", "\"optimizer/m/\"", "\"optimizer/v/\"", ".weight", ".bias",
            ".weight_ih_l0", ".weight_hh_l0", ".bias_ih_l0", ".bias_hh_l0", "_reverse", "/kernel", "/recurrent_kernel",
            "/bias", "/embeddings", "forward_", "backward_", "\u00e9",
        ],
        token => Encoding.UTF8.GetBytes(token));

    public byte[] Mutate(byte[] parent, IReadOnlyList<byte[]> corpus)
    {
        var bytes = new List<byte>(parent);
        for (int edits = 1 << random.Next(5); edits > 0; edits--)
        {
            Edit(bytes, corpus);
        }

        if (bytes.Count > MaxLength)
        {
            bytes.RemoveRange(MaxLength, bytes.Count - MaxLength);
        }

        if (bytes.Count >= 8 && random.Next(2) == 0)
        {
            int close = bytes.LastIndexOf((byte)'}');
            long length = close >= 8 && random.Next(4) != 0 ? close - 7 : bytes.Count - 8;
            for (int i = 0; i < 8; i++)
            {
                bytes[i] = (byte)(length >> (8 * i));
            }
        }

        return bytes.ToArray();
    }

    private static readonly byte[][] Words = Array.FindAll(Tokens, token => token.Length > 1 && token[0] == '"');

    /// <summary>Replaces the first JSON string at or after <paramref name="at"/> with a quoted format word.</summary>
    private void ReplaceString(List<byte> bytes, int at)
    {
        int open = bytes.IndexOf((byte)'"', at);
        int close = open < 0 ? -1 : bytes.IndexOf((byte)'"', open + 1);
        while (close > 0 && bytes[close - 1] == '\\')
        {
            close = bytes.IndexOf((byte)'"', close + 1);
        }

        if (close > open)
        {
            bytes.RemoveRange(open, close - open + 1);
            bytes.InsertRange(open, Words[random.Next(Words.Length)]);
        }
    }

    /// <summary>Replaces the first run of digits at or after <paramref name="at"/> (past the length prefix) with an edge value or a small one.</summary>
    private void ReplaceNumber(List<byte> bytes, int at)
    {
        int start = Math.Max(at, 8);
        while (start < bytes.Count && (bytes[start] < '0' || bytes[start] > '9'))
        {
            start++;
        }

        int end = start;
        while (end < bytes.Count && bytes[end] >= '0' && bytes[end] <= '9')
        {
            end++;
        }

        if (end > start)
        {
            long value = random.Next(3) == 0 ? Interesting[random.Next(Interesting.Length)] : random.Next(65);
            bytes.RemoveRange(start, end - start);
            bytes.InsertRange(start, Encoding.ASCII.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>At the first ']' at or after <paramref name="at"/>: adds an element, or drops the last one.</summary>
    private void EditArray(List<byte> bytes, int at)
    {
        int close = bytes.IndexOf((byte)']', at);
        if (close < 9)
        {
            return;
        }

        if (random.Next(2) == 0)
        {
            bytes.InsertRange(close, Encoding.ASCII.GetBytes((bytes[close - 1] == '[' ? string.Empty : ",") + random.Next(9).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return;
        }

        int start = close - 1;
        while (start > 8 && bytes[start] != ',' && bytes[start] != '[')
        {
            start--;
        }

        bytes.RemoveRange(bytes[start] == ',' ? start : start + 1, close - (bytes[start] == ',' ? start : start + 1));
    }

    private void Edit(List<byte> bytes, IReadOnlyList<byte[]> corpus)
    {
        if (bytes.Count == 0)
        {
            bytes.AddRange(Tokens[random.Next(Tokens.Length)]);
            return;
        }

        int at = random.Next(bytes.Count);
        switch (random.Next(15))
        {
            case 12:
                ReplaceString(bytes, at);
                return;
            case 13:
                ReplaceNumber(bytes, at);
                return;
            case 14:
                EditArray(bytes, at);
                return;
            case 0:
                bytes[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1:
                bytes[at] = (byte)random.Next(256);
                break;
            case 2:
                bytes[at] += (byte)(random.Next(35) - 17);
                break;
            case 3:
                bytes.RemoveRange(at, 1 + random.Next(Math.Min(bytes.Count - at, 32)));
                break;
            case 4:
                bytes.InsertRange(random.Next(bytes.Count + 1), bytes.GetRange(at, 1 + random.Next(Math.Min(bytes.Count - at, 32))));
                break;
            case 5:
            {
                int to = random.Next(bytes.Count);
                int length = 1 + random.Next(Math.Min(bytes.Count - Math.Max(at, to), 16));
                List<byte> chunk = bytes.GetRange(at, length);
                for (int i = 0; i < length; i++)
                {
                    bytes[to + i] = chunk[i];
                }

                break;
            }

            case 6:
            {
                int width = 1 << random.Next(4);
                if (bytes.Count >= width)
                {
                    int start = random.Next(bytes.Count - width + 1);
                    long value = Interesting[random.Next(Interesting.Length)];
                    for (int i = 0; i < width; i++)
                    {
                        bytes[start + i] = (byte)(value >> (8 * i));
                    }

                    if (random.Next(2) == 0)
                    {
                        bytes.Reverse(start, width);
                    }
                }

                break;
            }

            case 7:
            {
                byte[] other = corpus[random.Next(corpus.Count)];
                if (other.Length > 0)
                {
                    bytes.RemoveRange(at, bytes.Count - at);
                    bytes.AddRange(other.AsSpan(random.Next(other.Length)).ToArray());
                }

                break;
            }

            case 8:
            case 9:
            {
                byte[] token = Tokens[random.Next(Tokens.Length)];
                if (random.Next(2) == 0 && at + token.Length <= bytes.Count)
                {
                    for (int i = 0; i < token.Length; i++)
                    {
                        bytes[at + i] = token[i];
                    }
                }
                else
                {
                    bytes.InsertRange(at, token);
                }

                break;
            }

            case 10:
                bytes[at] = (byte)('0' + random.Next(10));
                break;
            default:
                bytes.RemoveRange(at, bytes.Count - at);
                break;
        }
    }
}
