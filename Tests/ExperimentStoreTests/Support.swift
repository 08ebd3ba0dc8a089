import Foundation
import TestSupport
@testable import ExperimentStore

func json(_ text: String) -> Data { Data(text.utf8) }

