import Foundation
import Testing
@testable import Tokenizer

@Suite struct SequencePackerTests {
    let pad: UInt32 = 99

    @Test func overlappingSequencesStartEveryStride() throws {
        let packed = try SequencePacker(sequenceLength: 4, overlap: 1).pack(Array(0..<10), padID: pad)
        #expect(packed.sequenceCount == 3)
        #expect(packed.tokens == [0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9])
        #expect(packed.lastValidTokens == 4)
    }

    @Test func tailIsPaddedAndMaskedOrDropped() throws {
        let kept = try SequencePacker(sequenceLength: 4).pack(Array(0..<11), padID: pad)
        #expect(kept.tokens == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99])
        #expect(kept.sequenceCount == 3 && kept.lastValidTokens == 3 && kept.droppedTokens == 0)
        let dropped = try SequencePacker(sequenceLength: 4, keepTail: false).pack(Array(0..<11), padID: pad)
        #expect(dropped.tokens == Array(0..<8))
        #expect(dropped.sequenceCount == 2 && dropped.lastValidTokens == 4 && dropped.droppedTokens == 3)
    }

    @Test func overlappingTail() throws {
        // stride 3: full sequences at 0 and 3 cover 0..<7; the tail sequence starts at 6.
        let packed = try SequencePacker(sequenceLength: 4, overlap: 1).pack(Array(0..<8), padID: pad)
        #expect(packed.tokens == [0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 99, 99])
        #expect(packed.lastValidTokens == 2)
    }

    @Test func shortAndEmptyStreams() throws {
        let packer = try SequencePacker(sequenceLength: 4)
        let short = packer.pack([5, 6], padID: pad)
        #expect(short.tokens == [5, 6, 99, 99] && short.sequenceCount == 1 && short.lastValidTokens == 2)
        let empty = packer.pack([], padID: pad)
        #expect(empty.tokens.isEmpty && empty.sequenceCount == 0 && empty.lastValidTokens == 0)
    }

    @Test func tokenFileRoundTrip() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (vocabulary, width) in [(16_384, 2), (70_000, 4)] {
            let header = TokenFile.Header(bytesPerToken: TokenFile.Header.bytesPerToken(vocabularySize: vocabulary),
                                          sequenceLength: 3, overlap: 1, sequenceCount: 2,
                                          lastSequenceValidTokens: 2, padTokenID: 7, vocabularySize: UInt32(vocabulary))
            let path = directory + "/t\(width).bin"
            let body: [UInt32] = [1, 2, 3, 3, width == 4 ? 69_999 : 60_000, 7]
            try TokenFile.write(path, header: header, sequences: body)
            let data = try #require(FileManager.default.contents(atPath: path))
            #expect(data.count == 64 + 6 * width)
            #expect(Array(data.prefix(8)) == Array("BLOCKTOK".utf8))
            #expect(Array(data[8..<16]) == [1, 0, 0, 0, UInt8(width), 0, 0, 0])
            #expect(Array(data[16..<24]) == [6, 0, 0, 0, 0, 0, 0, 0])
            let file = try TokenFile.read(path)
            #expect(file.header == header)
            #expect(file.tokens == body)
            #expect(Array(file.sequence(1)) == Array(body[3...]))
        }
    }
}
