// tests/unit/allocation_counter.hpp: how many times the unit-test binary called operator new.
#pragma once

namespace dial::test {

/// Every operator new of this program so far (all forms: plain, array, nothrow). The engine tests
/// compare it around run() to prove that connects do not allocate.
[[nodiscard]] long allocations() noexcept;

}  // namespace dial::test
