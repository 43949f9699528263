// XenStore permission semantics, as xenstored enforces them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/fake_hypervisor/fake_hypervisor.h"
#include "tests/fake_hypervisor/test_util.h"

namespace xenshm::fake {
namespace {

using testing::CodeOf;
using testing::MustOpen;
using ::testing::UnorderedElementsAre;

constexpr XsAccess kNone = XsAccess::kNone;
constexpr XsAccess kRead = XsAccess::kRead;
constexpr XsAccess kWrite = XsAccess::kWrite;
constexpr XsAccess kBoth = XsAccess::kBoth;

class XenStorePermissionsTest : public testing::ThreeDomains {
 protected:
  std::vector<XsPermission> Perms(const std::string& path) {
    auto perms = xs0().GetPermissions(kNoTransaction, path);
    EXPECT_TRUE(perms.has_value()) << path;
    return perms.value_or(std::vector<XsPermission>{});
  }
};

TEST_F(XenStorePermissionsTest, DomainHomeIsLaidOutLikeLibxl) {
  EXPECT_EQ(Perms("/local/domain/1"),
            (std::vector<XsPermission>{{0, kNone}, {1, kRead}}));
  EXPECT_EQ(Perms("/local/domain/1/domid"),
            (std::vector<XsPermission>{{0, kNone}, {1, kRead}}));
  EXPECT_EQ(Perms("/local/domain/1/data"),
            (std::vector<XsPermission>{{1, kNone}}));
  EXPECT_EQ(xs1().Read(kNoTransaction, "/local/domain/1/domid").value(), "1");
  EXPECT_EQ(xs1().Read(kNoTransaction, "domid").value(), "1");
  EXPECT_EQ(xs1().self(), 1);
}

TEST_F(XenStorePermissionsTest, GuestWritesDataButNotItsHome) {
  EXPECT_TRUE(xs1().Write(kNoTransaction, "/local/domain/1/data/x", "v").ok());
  EXPECT_EQ(CodeOf(xs1().Write(kNoTransaction, "/local/domain/1/x", "v")),
            Code::kNoPermission);
  EXPECT_EQ(CodeOf(xs1().Write(kNoTransaction, "/local/domain/1/domid", "7")),
            Code::kNoPermission);
}

TEST_F(XenStorePermissionsTest, RelativePathsAreUnderTheHome) {
  ASSERT_TRUE(xs1().Write(kNoTransaction, "data/rel", "r").ok());
  EXPECT_EQ(xs0().Read(kNoTransaction, "/local/domain/1/data/rel").value(),
            "r");
  // dom0's relative paths are under /local/domain/0.
  ASSERT_TRUE(xs0().Write(kNoTransaction, "mine", "m").ok());
  EXPECT_EQ(xs0().Read(kNoTransaction, "/local/domain/0/mine").value(), "m");
}

TEST_F(XenStorePermissionsTest, GuestCannotSeeAnotherGuestsHome) {
  EXPECT_EQ(CodeOf(xs2().Read(kNoTransaction, "/local/domain/1/domid")),
            Code::kNoPermission);
  EXPECT_EQ(CodeOf(xs2().List(kNoTransaction, "/local/domain")),
            Code::kNoPermission);
  EXPECT_EQ(CodeOf(xs2().Write(kNoTransaction, "/local/domain/1/data/x", "")),
            Code::kNoPermission);
}

TEST_F(XenStorePermissionsTest, MissingNodeIsNotFoundOnlyUnderReadableParent) {
  EXPECT_EQ(CodeOf(xs1().Read(kNoTransaction, "/local/domain/1/nothing")),
            Code::kNotFound);
  EXPECT_EQ(CodeOf(xs1().Read(kNoTransaction, "/local/domain/1/a/b/c")),
            Code::kNotFound);
  // The nearest existing ancestor is unreadable: do not reveal absence.
  EXPECT_EQ(CodeOf(xs2().Read(kNoTransaction, "/local/domain/1/nothing")),
            Code::kNoPermission);
  EXPECT_EQ(CodeOf(xs1().Read(kNoTransaction, "/nothing")),
            Code::kNoPermission);
  EXPECT_EQ(CodeOf(xs0().Read(kNoTransaction, "/nothing")), Code::kNotFound);
}

TEST_F(XenStorePermissionsTest, CreatedNodesInheritParentPermsWithGuestOwner) {
  ASSERT_TRUE(xs0()
                  .SetPermissions(kNoTransaction, "/local/domain/1/data",
                                  {{1, kNone}, {2, kRead}})
                  .ok());
  ASSERT_TRUE(xs1().Write(kNoTransaction, "data/a/b", "deep").ok());
  EXPECT_EQ(Perms("/local/domain/1/data/a"),
            (std::vector<XsPermission>{{1, kNone}, {2, kRead}}));
  EXPECT_EQ(Perms("/local/domain/1/data/a/b"),
            (std::vector<XsPermission>{{1, kNone}, {2, kRead}}));
  EXPECT_EQ(xs2().Read(kNoTransaction, "/local/domain/1/data/a/b").value(),
            "deep");
  EXPECT_EQ(xs0().Read(kNoTransaction, "/local/domain/1/data/a").value(), "");
}

TEST_F(XenStorePermissionsTest, GuestOwnsWhatItCreatesUnderAWritableNode) {
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/shared", "").ok());
  ASSERT_TRUE(
      xs0().SetPermissions(kNoTransaction, "/shared", {{0, kBoth}}).ok());
  ASSERT_TRUE(xs1().Write(kNoTransaction, "/shared/one", "1").ok());
  EXPECT_EQ(Perms("/shared/one"), (std::vector<XsPermission>{{1, kBoth}}));
}

TEST_F(XenStorePermissionsTest, Dom0CreatedNodeKeepsParentsOwner) {
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/local/domain/1/data/z", "").ok());
  EXPECT_EQ(Perms("/local/domain/1/data/z"),
            (std::vector<XsPermission>{{1, kNone}}));
}

TEST_F(XenStorePermissionsTest, LaterEntriesOverrideTheDefault) {
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/p", "secret").ok());
  ASSERT_TRUE(
      xs0()
          .SetPermissions(kNoTransaction, "/p", {{0, kRead}, {2, kNone}})
          .ok());
  EXPECT_EQ(xs1().Read(kNoTransaction, "/p").value(), "secret");
  EXPECT_EQ(CodeOf(xs2().Read(kNoTransaction, "/p")), Code::kNoPermission);
  EXPECT_EQ(CodeOf(xs1().Write(kNoTransaction, "/p", "x")),
            Code::kNoPermission);
}

TEST_F(XenStorePermissionsTest, WriteOnlyAccessCannotRead) {
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/drop", "").ok());
  ASSERT_TRUE(
      xs0()
          .SetPermissions(kNoTransaction, "/drop", {{0, kNone}, {1, kWrite}})
          .ok());
  EXPECT_TRUE(xs1().Write(kNoTransaction, "/drop", "in").ok());
  EXPECT_EQ(CodeOf(xs1().Read(kNoTransaction, "/drop")), Code::kNoPermission);
}

TEST_F(XenStorePermissionsTest, OwnerAlwaysHasFullAccess) {
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/owned", "").ok());
  ASSERT_TRUE(
      xs0().SetPermissions(kNoTransaction, "/owned", {{1, kNone}}).ok());
  EXPECT_TRUE(xs1().Write(kNoTransaction, "/owned", "mine").ok());
  EXPECT_EQ(xs1().Read(kNoTransaction, "/owned").value(), "mine");
}

TEST_F(XenStorePermissionsTest, CreatingNeedsWriteOnNearestExistingAncestor) {
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/ro", "").ok());
  ASSERT_TRUE(xs0().SetPermissions(kNoTransaction, "/ro", {{0, kRead}}).ok());
  EXPECT_EQ(CodeOf(xs1().Write(kNoTransaction, "/ro/a/b", "x")),
            Code::kNoPermission);
  EXPECT_EQ(CodeOf(xs1().Mkdir(kNoTransaction, "/ro/a")), Code::kNoPermission);
  EXPECT_EQ(CodeOf(xs0().Read(kNoTransaction, "/ro/a")), Code::kNotFound);
}

TEST_F(XenStorePermissionsTest, OnlyOwnerOrDom0SetsPermissions) {
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/rw", "").ok());
  ASSERT_TRUE(xs0().SetPermissions(kNoTransaction, "/rw", {{0, kBoth}}).ok());
  // Write access is not ownership.
  EXPECT_EQ(CodeOf(xs1().SetPermissions(kNoTransaction, "/rw", {{1, kBoth}})),
            Code::kNoPermission);
  // The owner may add entries but not give the node away.
  ASSERT_TRUE(xs1().Write(kNoTransaction, "data/n", "").ok());
  EXPECT_TRUE(
      xs1()
          .SetPermissions(kNoTransaction, "data/n", {{1, kNone}, {2, kRead}})
          .ok());
  EXPECT_EQ(
      CodeOf(xs1().SetPermissions(kNoTransaction, "data/n", {{2, kNone}})),
      Code::kNoPermission);
  EXPECT_EQ(CodeOf(xs1().SetPermissions(kNoTransaction, "data/n", {})),
            Code::kInvalidArgument);
}

TEST_F(XenStorePermissionsTest, MkdirCreatesEmptyNodeAndToleratesExisting) {
  ASSERT_TRUE(xs1().Mkdir(kNoTransaction, "data/dir").ok());
  EXPECT_EQ(xs1().Read(kNoTransaction, "data/dir").value(), "");
  ASSERT_TRUE(xs1().Write(kNoTransaction, "data/dir", "kept").ok());
  EXPECT_TRUE(xs1().Mkdir(kNoTransaction, "data/dir").ok());
  EXPECT_EQ(xs1().Read(kNoTransaction, "data/dir").value(), "kept");
}

TEST_F(XenStorePermissionsTest, ListNamesChildren) {
  ASSERT_TRUE(xs1().Write(kNoTransaction, "data/l/a", "").ok());
  ASSERT_TRUE(xs1().Write(kNoTransaction, "data/l/b/c", "").ok());
  EXPECT_THAT(xs1().List(kNoTransaction, "data/l").value(),
              UnorderedElementsAre("a", "b"));
  EXPECT_THAT(xs0().List(kNoTransaction, "/local/domain").value(),
              UnorderedElementsAre("0", "1", "2"));
}

TEST_F(XenStorePermissionsTest, RemoveIsRecursiveAndNeedsWrite) {
  ASSERT_TRUE(xs1().Write(kNoTransaction, "data/r/a/b", "").ok());
  ASSERT_TRUE(xs1().Write(kNoTransaction, "data/r/c", "").ok());
  EXPECT_EQ(CodeOf(xs2().Remove(kNoTransaction, "/local/domain/1/data/r")),
            Code::kNoPermission);
  ASSERT_TRUE(xs1().Remove(kNoTransaction, "data/r").ok());
  EXPECT_EQ(CodeOf(xs1().Read(kNoTransaction, "data/r/a/b")), Code::kNotFound);
  EXPECT_EQ(CodeOf(xs1().Read(kNoTransaction, "data/r")), Code::kNotFound);
  EXPECT_TRUE(xs1().List(kNoTransaction, "data").value().empty());
  EXPECT_EQ(CodeOf(xs1().Remove(kNoTransaction, "data/r")), Code::kNotFound);
  EXPECT_EQ(CodeOf(xs0().Remove(kNoTransaction, "/")), Code::kInvalidArgument);
}

TEST_F(XenStorePermissionsTest, MalformedPathsAreInvalid) {
  for (const char* path : {"", "/a//b", "/a/", "/a b", "/a*", "@nonsense"}) {
    EXPECT_EQ(CodeOf(xs0().Write(kNoTransaction, path, "")),
              Code::kInvalidArgument)
        << path;
    EXPECT_EQ(CodeOf(xs0().Read(kNoTransaction, path)), Code::kInvalidArgument)
        << path;
  }
}

TEST_F(XenStorePermissionsTest, PathLengthLimit) {
  std::string path = "/";
  while (path.size() < kXsAbsPathMax) path += "a";
  ASSERT_EQ(path.size(), kXsAbsPathMax);
  EXPECT_TRUE(xs0().Write(kNoTransaction, path, "").ok());
  EXPECT_EQ(CodeOf(xs0().Write(kNoTransaction, path + "a", "")),
            Code::kInvalidArgument);
}

TEST_F(XenStorePermissionsTest, MessageSizeLimitAppliesToDom0Too) {
  EXPECT_EQ(CodeOf(xs0().Write(kNoTransaction, "/big",
                               std::string(kXsPayloadMax, 'x'))),
            Code::kInvalidArgument);
  EXPECT_TRUE(xs0().Write(kNoTransaction, "/big", std::string(3000, 'x')).ok());
}

}  // namespace
}  // namespace xenshm::fake
