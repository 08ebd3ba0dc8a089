import Foundation
import Tokenizer

/// A token file of phase 2 (`train.bin`, `val.bin`), read through a memory map. The format
/// and its header are the tokenizer's (`Tokenizer.TokenFile`, docs/token-file.md); this
/// reader only adds mapped access to one sequence at a time, as the training loop needs.
public final class MappedTokenFile {
    public typealias Header = Tokenizer.TokenFile.Header

    public let url: URL
    public let header: Header
    private let data: Data
    private let bytesPerToken: Int
    private let length: Int

    /// Opens and validates `url`; errors name the file and what is wrong with it.
    public init(url: URL) throws {
        self.url = url
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingError.badDataset("\(url.path) does not exist: run `blocklab tokenize` first, or pass --data DIR with train.bin and val.bin")
        }
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        let header: Header
        do {
            header = try Header.decode([UInt8](data.prefix(Tokenizer.TokenFile.headerSize)), path: url.path, fileSize: data.count)
        } catch let error as TokenizerError {
            throw TrainingError.badDataset(error.message)
        }
        guard header.sequenceLength > 0 else {
            throw TrainingError.badDataset("\(url.path): sequence_length is 0; rebuild it with `blocklab tokenize`")
        }
        guard header.sequenceCount > 0, header.lastSequenceValidTokens >= 1 else {
            throw TrainingError.badDataset("\(url.path) holds no sequences: the dataset is empty (tokenize more history, or a larger --validation-fraction for val.bin)")
        }
        self.header = header
        self.data = data
        bytesPerToken = Int(header.bytesPerToken)
        length = Int(header.sequenceLength)
    }

    public var sequenceCount: Int { Int(header.sequenceCount) }
    public var sequenceLength: Int { length }

    /// Real (non-padding) tokens of sequence `index`.
    public func validTokens(ofSequence index: Int) -> Int {
        index == sequenceCount - 1 ? Int(header.lastSequenceValidTokens) : length
    }

    /// Appends sequence `index`'s tokens to `out`.
    public func appendSequence(_ index: Int, to out: inout [Int64]) {
        precondition(index >= 0 && index < sequenceCount)
        let start = Tokenizer.TokenFile.headerSize + index * length * bytesPerToken
        data.withUnsafeBytes { raw in
            if bytesPerToken == 2 {
                for i in 0..<length { out.append(Int64(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 2 * i, as: UInt16.self)))) }
            } else {
                for i in 0..<length { out.append(Int64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))) }
            }
        }
    }
}
