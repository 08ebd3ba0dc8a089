import Foundation

extension TokenFile {
    /// Writes a token file as its stream arrives: the tokens are packed into sequences
    /// (`SequencePacker.Stream`) and written through a 1 MiB buffer, so a dataset of any size
    /// is written in bounded memory. The header's counts are known only at the end: zeros
    /// hold its place until `finish` writes it over them. The file is the one `write` gives
    /// for the same stream.
    ///
    ///     try DurableFile.write(to: url) { handle in
    ///         let writer = try TokenFile.Writer(handle: handle, packer: packer, padID: pad, vocabularySize: 400)
    ///         try writer.append(ids); let header = try writer.finish()
    ///     }
    final class Writer {
        private let handle: FileHandle
        private var packing: SequencePacker.Stream
        private let bytesPerToken: UInt32
        private let vocabularySize: UInt32
        private var buffer: [UInt8] = []
        /// Set by `finish`: stream tokens in no sequence (a dropped tail).
        private(set) var droppedTokens = 0

        init(handle: FileHandle, packer: SequencePacker, padID: UInt32, vocabularySize: Int) throws {
            self.handle = handle
            packing = SequencePacker.Stream(packer, padID: padID)
            bytesPerToken = Header.bytesPerToken(vocabularySize: vocabularySize)
            self.vocabularySize = UInt32(vocabularySize)
            buffer.reserveCapacity(1 << 20)
            try handle.write(contentsOf: [UInt8](repeating: 0, count: TokenFile.headerSize))
        }

        /// Stream tokens appended so far.
        var streamTokens: Int { packing.streamTokens }

        /// Appends stream tokens.
        func append(_ ids: some Collection<UInt32>) throws {
            try packing.append(ids) { try put($0) }
        }

        /// Writes the tail and the header; returns the header.
        func finish() throws -> Header {
            let end = try packing.finish { try put($0) }
            if !buffer.isEmpty { try handle.write(contentsOf: buffer) }
            buffer = []
            droppedTokens = end.droppedTokens
            let header = Header(bytesPerToken: bytesPerToken, sequenceLength: UInt32(packing.packer.sequenceLength),
                                overlap: UInt32(packing.packer.overlap), sequenceCount: UInt64(end.sequenceCount),
                                lastSequenceValidTokens: UInt32(end.lastValidTokens), padTokenID: packing.padID,
                                vocabularySize: vocabularySize)
            try handle.seek(toOffset: 0)
            try handle.write(contentsOf: header.encoded())
            return header
        }

        /// One sequence into the buffer, little-endian, `bytesPerToken` wide.
        private func put(_ sequence: ArraySlice<UInt32>) throws {
            if bytesPerToken == 2 {
                for id in sequence {
                    precondition(id <= UInt16.max, "id \(id) does not fit in uint16")
                    withUnsafeBytes(of: UInt16(id).littleEndian) { buffer.append(contentsOf: $0) }
                }
            } else {
                for id in sequence { withUnsafeBytes(of: id.littleEndian) { buffer.append(contentsOf: $0) } }
            }
            if buffer.count >= 1 << 20 {
                try handle.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
    }
}
