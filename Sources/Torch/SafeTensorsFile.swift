import Foundation

/// A safetensors file opened for reading, memory-mapped: an 8-byte little-endian header
/// length, a JSON header (`{"name": {"dtype", "shape", "data_offsets"}}`), then the data.
/// Tensors are read as float32 from F32, F16 and BF16; other dtypes are listed but not read.
public struct SafeTensorsFile {
    public struct Entry: Sendable, Equatable {
        public var dtype: String
        public var shape: [Int]
        /// Byte range in the file.
        public var range: Range<Int>
        public var count: Int { shape.reduce(1, *) }
    }

    public let url: URL
    public let entries: [String: Entry]
    private let data: Data

    public init(url: URL) throws(TorchError) {
        self.url = url
        guard let data = try? Data(contentsOf: url, options: .alwaysMapped) else {
            throw TorchError(kind: .invalidArgument, message: "cannot read \(url.path): check that the file exists and is readable")
        }
        self.data = data
        func bad(_ detail: String) -> TorchError {
            TorchError(kind: .invalidArgument, message: "\(url.path) is not a valid safetensors file: \(detail)")
        }
        guard data.count >= 8 else { throw bad("it is shorter than its 8-byte header length") }
        let length = Int(data.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)
        guard length > 0, 8 + length <= data.count,
              let object = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any] else {
            throw bad("the header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        for (name, value) in object where name != "__metadata__" {
            guard let e = value as? [String: Any], let dtype = e["dtype"] as? String, let shape = e["shape"] as? [Int],
                  let offsets = e["data_offsets"] as? [Int], offsets.count == 2, offsets[0] <= offsets[1],
                  8 + length + offsets[1] <= data.count else {
                throw bad("the entry \(name) lacks dtype, shape or valid data_offsets")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, range: (8 + length + offsets[0])..<(8 + length + offsets[1]))
        }
        self.entries = entries
    }

    /// The values of tensor `name` as float32, row-major.
    public func floats(_ name: String) throws(TorchError) -> [Float] {
        guard let entry = entries[name] else {
            throw TorchError(kind: .invalidArgument, message: "\(url.path) has no tensor \(name)")
        }
        let width = ["F32": 4, "F16": 2, "BF16": 2][entry.dtype]
        guard let width, entry.range.count == entry.count * width else {
            throw TorchError(kind: .invalidArgument, message: "\(url.path): tensor \(name) is \(entry.dtype) of \(entry.range.count) bytes; BlockLab reads F32, F16 and BF16")
        }
        var values = [Float](repeating: 0, count: entry.count)
        data.withUnsafeBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[entry.range])
            switch entry.dtype {
            case "F32":
                values.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
            case "F16":
                for i in 0..<entry.count {
                    values[i] = Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                }
            default:  // BF16: the upper half of a float32
                for i in 0..<entry.count {
                    let bits = UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16
                    values[i] = Float(bitPattern: bits)
                }
            }
        }
        return values
    }
}
