import Foundation

/// A token file of phase 2 (`train.bin`, `val.bin`), read through a memory map.
///
/// Format, little-endian: a 64-byte header then the body.
///
///     offset  0  8 bytes  magic "BLOCKTOK"
///             8  u32      version = 1
///            12  u32      bytes per token (2 = uint16, 4 = uint32)
///            16  u64      token_count (= sequence_count × sequence_length)
///            24  u32      sequence_length
///            28  u32      overlap
///            32  u64      sequence_count
///            40  u32      last_sequence_valid_tokens (== sequence_length when the last is full)
///            44  u32      pad_token_id
///            48  u32      vocab_size
///            52  12 bytes zero
///     body: sequence_count × sequence_length tokens, row-major.
public final class TokenFile {
    public struct Header: Sendable, Equatable {
        public var version: UInt32
        public var bytesPerToken: Int
        public var tokenCount: Int
        public var sequenceLength: Int
        public var overlap: Int
        public var sequenceCount: Int
        public var lastSequenceValidTokens: Int
        public var padTokenID: Int
        public var vocabSize: Int
    }

    public static let magic = Array("BLOCKTOK".utf8)
    public static let headerSize = 64

    public let url: URL
    public let header: Header
    private let data: Data

    /// Opens and validates `url`; errors name the file and what is wrong with it.
    public init(url: URL) throws {
        self.url = url
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingError.badDataset("\(url.path) does not exist: run `blocklab tokenize` first, or pass --data DIR with train.bin and val.bin")
        }
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        guard data.count >= Self.headerSize else {
            throw TrainingError.badDataset("\(url.path) is \(data.count) bytes, shorter than the 64-byte header: the file is empty or truncated")
        }
        guard Array(data.prefix(8)) == Self.magic else {
            throw TrainingError.badDataset("\(url.path) does not start with BLOCKTOK: not a BlockLab token file")
        }
        func u32(_ offset: Int) -> Int { Int(data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }.littleEndian) }
        func u64(_ offset: Int) -> Int { Int(data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }.littleEndian) }
        let header = Header(version: UInt32(u32(8)), bytesPerToken: u32(12), tokenCount: u64(16),
                            sequenceLength: u32(24), overlap: u32(28), sequenceCount: u64(32),
                            lastSequenceValidTokens: u32(40), padTokenID: u32(44), vocabSize: u32(48))
        guard header.version == 1 else {
            throw TrainingError.badDataset("\(url.path) has format version \(header.version); this BlockLab reads version 1")
        }
        guard header.bytesPerToken == 2 || header.bytesPerToken == 4 else {
            throw TrainingError.badDataset("\(url.path): bytes per token is \(header.bytesPerToken), expected 2 or 4")
        }
        guard header.sequenceLength > 0, header.tokenCount == header.sequenceCount * header.sequenceLength else {
            throw TrainingError.badDataset("\(url.path): token_count \(header.tokenCount) != sequence_count \(header.sequenceCount) × sequence_length \(header.sequenceLength)")
        }
        guard header.sequenceCount > 0 else {
            throw TrainingError.badDataset("\(url.path) holds no sequences: the dataset is empty (tokenize more history)")
        }
        guard header.lastSequenceValidTokens >= 1, header.lastSequenceValidTokens <= header.sequenceLength else {
            throw TrainingError.badDataset("\(url.path): last_sequence_valid_tokens \(header.lastSequenceValidTokens) is outside 1...\(header.sequenceLength)")
        }
        let expected = Self.headerSize + header.tokenCount * header.bytesPerToken
        guard data.count == expected else {
            throw TrainingError.badDataset("\(url.path) is \(data.count) bytes; its header promises \(expected): the file is truncated or corrupt")
        }
        self.header = header
        self.data = data
    }

    public var sequenceCount: Int { header.sequenceCount }
    public var sequenceLength: Int { header.sequenceLength }

    /// Real (non-padding) tokens of sequence `index`.
    public func validTokens(ofSequence index: Int) -> Int {
        index == header.sequenceCount - 1 ? header.lastSequenceValidTokens : header.sequenceLength
    }

    /// Appends sequence `index`'s tokens to `out`.
    public func appendSequence(_ index: Int, to out: inout [Int64]) {
        precondition(index >= 0 && index < header.sequenceCount)
        let length = header.sequenceLength
        let start = Self.headerSize + index * length * header.bytesPerToken
        data.withUnsafeBytes { raw in
            if header.bytesPerToken == 2 {
                for i in 0..<length { out.append(Int64(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 2 * i, as: UInt16.self)))) }
            } else {
                for i in 0..<length { out.append(Int64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))) }
            }
        }
    }
}
