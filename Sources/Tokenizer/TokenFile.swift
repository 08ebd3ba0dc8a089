import DurableFiles
import Foundation

/// The flat binary token file (`train.bin`, `val.bin`) the trainer reads; documented in
/// docs/token-file.md. Little-endian: a 64-byte header, then `sequenceCount ×
/// sequenceLength` tokens, row-major, each `bytesPerToken` wide (2 when the vocabulary
/// has at most 65,536 ids, else 4). Sequence i starts at stream position
/// i × (sequenceLength − overlap). When the stream's tail is kept, the last sequence is
/// padded with `padTokenID` and only its first `lastSequenceValidTokens` tokens are real.
///
///     let file = try TokenFile.read("out/train.bin")
///     file.header.sequenceCount; file.sequence(0)  // [UInt32], sequenceLength long
public struct TokenFile: Sendable {
    public static let magic = Array("BLOCKTOK".utf8)
    public static let version: UInt32 = 1
    public static let headerSize = 64

    public struct Header: Sendable, Equatable, Codable {
        public var version: UInt32 = TokenFile.version
        public var bytesPerToken: UInt32
        public var tokenCount: UInt64
        public var sequenceLength: UInt32
        public var overlap: UInt32
        public var sequenceCount: UInt64
        /// Equals `sequenceLength` when the last sequence is full; 0 when there are none.
        public var lastSequenceValidTokens: UInt32
        public var padTokenID: UInt32
        public var vocabularySize: UInt32

        public init(bytesPerToken: UInt32, sequenceLength: UInt32, overlap: UInt32, sequenceCount: UInt64,
                    lastSequenceValidTokens: UInt32, padTokenID: UInt32, vocabularySize: UInt32) {
            self.bytesPerToken = bytesPerToken
            self.tokenCount = sequenceCount * UInt64(sequenceLength)
            self.sequenceLength = sequenceLength
            self.overlap = overlap
            self.sequenceCount = sequenceCount
            self.lastSequenceValidTokens = lastSequenceValidTokens
            self.padTokenID = padTokenID
            self.vocabularySize = vocabularySize
        }

        /// 2 when every id fits in a UInt16, else 4.
        public static func bytesPerToken(vocabularySize: Int) -> UInt32 { vocabularySize <= 65_536 ? 2 : 4 }

        public func encoded() -> [UInt8] {
            var bytes = TokenFile.magic
            func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
            func put64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
            put32(version); put32(bytesPerToken); put64(tokenCount); put32(sequenceLength); put32(overlap)
            put64(sequenceCount); put32(lastSequenceValidTokens); put32(padTokenID); put32(vocabularySize)
            bytes.append(contentsOf: [UInt8](repeating: 0, count: TokenFile.headerSize - bytes.count))
            return bytes
        }

        /// Parses and checks a header; `fileSize`, when given, must match the body it promises.
        public static func decode(_ bytes: [UInt8], path: String, fileSize: Int? = nil) throws -> Header {
            func bad(_ why: String) -> TokenizerError {
                TokenizerError("\(path) is not a valid BlockLab token file: \(why). Rebuild it with `blocklab tokenize`.")
            }
            guard bytes.count >= TokenFile.headerSize else { throw bad("it is shorter than the 64-byte header") }
            guard Array(bytes[0..<8]) == TokenFile.magic else { throw bad("the magic is not BLOCKTOK") }
            func u32(_ o: Int) -> UInt32 { UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24 }
            func u64(_ o: Int) -> UInt64 { UInt64(u32(o)) | UInt64(u32(o + 4)) << 32 }
            guard u32(8) == TokenFile.version else { throw bad("version \(u32(8)) is not \(TokenFile.version)") }
            var header = Header(bytesPerToken: u32(12), sequenceLength: u32(24), overlap: u32(28), sequenceCount: u64(32),
                                lastSequenceValidTokens: u32(40), padTokenID: u32(44), vocabularySize: u32(48))
            header.tokenCount = u64(16)
            guard header.bytesPerToken == 2 || header.bytesPerToken == 4 else { throw bad("bytes per token is \(header.bytesPerToken), not 2 or 4") }
            guard header.tokenCount == header.sequenceCount * UInt64(header.sequenceLength) else {
                throw bad("token_count \(header.tokenCount) is not sequence_count × sequence_length")
            }
            guard header.lastSequenceValidTokens <= header.sequenceLength else { throw bad("last_sequence_valid_tokens exceeds sequence_length") }
            if let fileSize, UInt64(fileSize) != UInt64(TokenFile.headerSize) + header.tokenCount * UInt64(header.bytesPerToken) {
                throw bad("its size \(fileSize) does not match the \(header.tokenCount) tokens its header promises")
            }
            return header
        }
    }

    public let header: Header
    /// All tokens of the body, widened to UInt32.
    public let tokens: [UInt32]

    /// Sequence `index` (`sequenceLength` tokens, padding included).
    public func sequence(_ index: Int) -> ArraySlice<UInt32> {
        let length = Int(header.sequenceLength)
        return tokens[index * length..<(index + 1) * length]
    }

    /// Reads and checks a whole token file.
    public static func read(_ path: String) throws -> TokenFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenizerError("cannot read token file \(path); check the path (OUT/train.bin or OUT/val.bin).")
        }
        let bytes = [UInt8](data)
        let header = try Header.decode(bytes, path: path, fileSize: bytes.count)
        let count = Int(header.tokenCount)
        var tokens = [UInt32](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            let body = raw.baseAddress! + headerSize
            if header.bytesPerToken == 2 {
                for i in 0..<count { tokens[i] = UInt32(UInt16(littleEndian: body.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) }
            } else {
                for i in 0..<count { tokens[i] = UInt32(littleEndian: body.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
            }
        }
        return TokenFile(header: header, tokens: tokens)
    }

    /// Writes a header and body durably (`DurableFile`: a temporary synced and renamed into place).
    /// `sequences` is row-major, `header.sequenceCount × header.sequenceLength` ids.
    public static func write(_ path: String, header: Header, sequences: [UInt32]) throws {
        precondition(UInt64(sequences.count) == header.tokenCount, "body must hold sequence_count × sequence_length tokens")
        var data = Data(header.encoded())
        if header.bytesPerToken == 2 {
            var body = [UInt16](repeating: 0, count: sequences.count)
            for (i, id) in sequences.enumerated() {
                precondition(id <= UInt16.max, "id \(id) does not fit in uint16")
                body[i] = UInt16(id).littleEndian
            }
            body.withUnsafeBytes { data.append(contentsOf: $0) }
        } else {
            let body = sequences.map(\.littleEndian)
            body.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        try DurableFile.write(data, to: URL(fileURLWithPath: path))
    }
}
