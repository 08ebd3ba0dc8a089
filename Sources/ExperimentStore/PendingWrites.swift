import HardwareMonitor

/// What `log` has buffered and the writer has not yet taken.
struct PendingWrites {
    /// Points are stored column-wise so a swap hands the writer whole arrays.
    struct Batch {
        var keyNames: [String] = []
        var keys: [Int32] = []
        var steps: [Int64] = []
        var values: [Double] = []
        var epochs: [Double] = []
        var times: [Double] = []
        var hardware: [HardwareSample] = []
        /// Console lines, in `seq` order (RunHandle+Console).
        var console: [ConsoleLine] = []

        var count: Int { steps.count }

        mutating func removeAll() {
            keys.removeAll(keepingCapacity: true)
            steps.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
            epochs.removeAll(keepingCapacity: true)
            times.removeAll(keepingCapacity: true)
            hardware.removeAll(keepingCapacity: true)
            console.removeAll(keepingCapacity: true)
        }
    }

    var keyIndex: [String: Int32] = [:]
    var batch = Batch()
    var wakeSent = false
    /// The `seq` of the run's last console line.
    var consoleSeq: Int64 = 0
    /// The step of the run's latest `log` call (nil before the first): the step current when
    /// a line is printed by code that does not know it (`RunHandle.currentStep`).
    var lastStep: Int?
    /// The points and hardware samples the writer took at its last swap and has not yet
    /// committed (zero once it has): with `batch`, what a run has logged and not stored.
    var inFlight = (points: 0, hardware: 0)

    @inline(__always)
    mutating func append(key: String, step: Int64, value: Double, epoch: Double, time: Double) {
        let index: Int32
        if let known = keyIndex[key] {
            index = known
        } else {
            index = Int32(batch.keyNames.count)
            keyIndex[key] = index
            batch.keyNames.append(key)
        }
        batch.keys.append(index)
        batch.steps.append(step)
        batch.values.append(value)
        batch.epochs.append(epoch)
        batch.times.append(time)
    }

    mutating func shouldWake() -> Bool {
        if !wakeSent && batch.count >= RunHandle.wakeThreshold {
            wakeSent = true
            return true
        }
        return false
    }

    /// Hands the buffered points to the writer, taking its emptied arrays in exchange.
    /// A batch the writer could not write (it is not empty) keeps its points and gets the
    /// new ones appended, so nothing is lost across a failed flush.
    mutating func swap(into spare: inout Batch) {
        if spare.count == 0 && spare.hardware.isEmpty && spare.console.isEmpty {
            Swift.swap(&batch.keys, &spare.keys)
            Swift.swap(&batch.steps, &spare.steps)
            Swift.swap(&batch.values, &spare.values)
            Swift.swap(&batch.epochs, &spare.epochs)
            Swift.swap(&batch.times, &spare.times)
            Swift.swap(&batch.hardware, &spare.hardware)
            Swift.swap(&batch.console, &spare.console)
        } else {
            spare.keys += batch.keys
            spare.steps += batch.steps
            spare.values += batch.values
            spare.epochs += batch.epochs
            spare.times += batch.times
            spare.hardware += batch.hardware
            spare.console += batch.console
            batch.removeAll()
        }
        spare.keyNames = batch.keyNames
        wakeSent = false
        inFlight = (spare.count, spare.hardware.count)
    }
}
