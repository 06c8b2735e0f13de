/// First come, first served; removal by id for cancellation. Pops in O(1)
/// (a moving head, compacted now and then), so a long line costs no copying.
struct WaiterQueue<Element: IdentifiedWaiter> {
    private var items: [Element] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { head == items.count }
    var first: Element? { head < items.count ? items[head] : nil }

    mutating func append(_ element: Element) { items.append(element) }

    mutating func popFirst() -> Element? {
        guard head < items.count else { return nil }
        let element = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return element
    }

    mutating func remove(id: Int) -> Element? {
        guard let index = items[head...].firstIndex(where: { $0.id == id }) else { return nil }
        return items.remove(at: index)
    }
}

protocol IdentifiedWaiter {
    var id: Int { get }
}

extension PoolStateMachine.Waiter: IdentifiedWaiter {}
