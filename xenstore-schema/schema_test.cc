#include "xenstore-schema/schema.h"

#include <gtest/gtest.h>

#include <string>

namespace xenshm::schema {
namespace {

TEST(SchemaPaths, BuildsXenStyleLocations) {
  EXPECT_EQ(FrontendPath(3, 7), "/local/domain/3/device/xenshm/7");
  EXPECT_EQ(BackendNode(3, 7, kNodeStatus),
            "/local/domain/0/backend/xenshm/3/7/status");
  EXPECT_EQ(RegistryPeerPath("moo", 2),
            "/local/domain/0/xenshm/regions/moo/peers/2");
}

TEST(SchemaPaths, ParsesFrontendPathsAndRejectsOthers) {
  auto root = ParseFrontendPath("/local/domain/12/device/xenshm");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->domain, 12);
  EXPECT_FALSE(root->handle);
  auto node = ParseFrontendPath("/local/domain/12/device/xenshm/4/state");
  ASSERT_TRUE(node);
  EXPECT_EQ(node->handle, 4u);
  EXPECT_EQ(node->node, "state");
  EXPECT_EQ(
      ParseFrontendPath("/local/domain/12/device/xenshm/4/offers/3")->node,
      "offers/3");
  EXPECT_EQ(ParseFrontendPath("/local/domain/12/device/xenshm/4")->node, "");
  EXPECT_FALSE(ParseFrontendPath("/local/domain/12/device/vif/0"));
  EXPECT_FALSE(ParseFrontendPath("/local/domain/x/device/xenshm/1"));
  EXPECT_FALSE(ParseFrontendPath("/local/domain/1/device/xenshm/01"));
  EXPECT_FALSE(ParseFrontendPath("/local/domain/1/device/xenshm/99999"));
  EXPECT_FALSE(ParseFrontendPath("/local/domain/1/device/xenshmX"));
}

TEST(SchemaPaths, SignalEntriesAreOffersOrBoundWithAPeerIndex) {
  auto offer = ParseSignalEntry("offers/3");
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->list, kNodeOffers);
  EXPECT_EQ(offer->index, 3u);
  EXPECT_EQ(ParseSignalEntry("bound/0")->list, kNodeBound);
  for (std::string_view bad :
       {"offers", "offers/", "offers/x", "offers/64", "offers/3/x", "bound/-1",
        "state", "offersX/1"}) {
    EXPECT_FALSE(ParseSignalEntry(bad)) << bad;
  }
}

TEST(RegionName, AcceptsTheAllowedAlphabetUpToTheLimit) {
  EXPECT_EQ(*ParseRegionName("moo"), "moo");
  EXPECT_TRUE(ParseRegionName("a.b_c-D9"));
  EXPECT_TRUE(ParseRegionName(std::string(kMaxNameLength, 'x')));
}

TEST(RegionName, RejectsHostileNamesWithAReason) {
  struct Case {
    std::string value;
    std::string reason;
  } cases[] = {
      {"", "empty"},
      {std::string(kMaxNameLength + 1, 'x'), "longer than"},
      {"a/b", "outside"},
      {"a b", "outside"},
      {std::string("a\0b", 3), "outside"},
      {"caf\xc3\xa9", "outside"},
      {".hidden", "starts with"},
      {"a\nb", "outside"},
  };
  for (const auto& c : cases) {
    auto result = ParseRegionName(c.value);
    ASSERT_FALSE(result) << c.value;
    EXPECT_EQ(result.error().code(), Code::kIllegalName);
    EXPECT_NE(result.error().message().find(c.reason), std::string::npos)
        << result.error().message();
  }
}

TEST(RegionName, CharacterRuleIsExactlyTheAlphabet) {
  const std::string_view alphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    EXPECT_EQ(IsRegionNameChar(ch), alphabet.find(ch) != std::string::npos)
        << c;
  }
}

TEST(Numbers, StrictDecimalOnly) {
  EXPECT_EQ(*ParseSize("4096"), 4096u);
  EXPECT_EQ(*ParseSize("1"), 1u);
  for (const char* bad : {"", "0", "-1", "+5", " 5", "5 ", "0x10", "1e3", "007",
                          "99999999999999999999999", "12a"}) {
    auto result = ParseSize(bad);
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(ParseSize(std::to_string(kMaxRegionBytes + 1)));
  EXPECT_TRUE(ParseSize(std::to_string(kMaxRegionBytes)));
  EXPECT_FALSE(ParseHandle(std::to_string(kMaxHandle + 1)));
  EXPECT_FALSE(ParseDomainId("32752"));      // DOMID_FIRST_RESERVED
  EXPECT_EQ(*ParsePid("4194304"), 4194304);  // PID_MAX_LIMIT
  for (const char* bad : {"0", "4194305", "-1", "", "12x"}) {
    EXPECT_FALSE(ParsePid(bad)) << bad;
  }
}

TEST(Enums, ModeAccessAndStateRoundTrip) {
  EXPECT_EQ(*ParseMode(ModeName(AttachMode::kAttachOnly)),
            AttachMode::kAttachOnly);
  EXPECT_EQ(*ParseAccess(AccessName(Access::kReadOnly)), Access::kReadOnly);
  EXPECT_EQ(*ParseState(StateValue(XenbusState::kClosing)),
            XenbusState::kClosing);
  EXPECT_FALSE(ParseMode("create"));
  EXPECT_FALSE(ParseAccess("RW"));
  EXPECT_FALSE(ParseState("7"));
}

TEST(FrontendTransitions, ForwardOnly) {
  EXPECT_TRUE(CheckFrontendTransition(XenbusState::kInitialising,
                                      XenbusState::kInitialised)
                  .ok());
  EXPECT_TRUE(
      CheckFrontendTransition(XenbusState::kInitialised, XenbusState::kClosed)
          .ok());
  EXPECT_FALSE(CheckFrontendTransition(XenbusState::kConnected,
                                       XenbusState::kInitialised)
                   .ok());
  EXPECT_FALSE(
      CheckFrontendTransition(XenbusState::kClosing, XenbusState::kConnected)
          .ok());
  EXPECT_FALSE(CheckFrontendTransition(XenbusState::kInitialising,
                                       XenbusState::kInitWait)
                   .ok());
}

TEST(Pages, RoundsUp) {
  EXPECT_EQ(PagesFor(1), 1u);
  EXPECT_EQ(PagesFor(4096), 1u);
  EXPECT_EQ(PagesFor(4097), 2u);
  EXPECT_EQ(PagesFor(128ull << 20), 32768u);
}

TEST(PeerRef, RoundTripsAndRejectsJunk) {
  const PeerRef peer{7, 12};
  EXPECT_EQ(FormatPeerRef(peer), "7/12");
  EXPECT_EQ(ParsePeerRef("7/12").value(), peer);
  for (std::string_view bad : {"", "7", "7/", "/12", "7/12/1", "07/12", "7/-1",
                               "70000/1", "7/1x", "7 /12"}) {
    EXPECT_FALSE(ParsePeerRef(bad).has_value()) << bad;
  }
}

TEST(Schema, RegistryKeysAreValidXenstoreNamesOneToOne) {
  EXPECT_EQ(RegistryKey("cam0"), "cam0");
  EXPECT_EQ(RegistryKey("cam.0.raw"), "cam@0@raw");
  EXPECT_EQ(RegistryPath("a.b"), "/local/domain/0/xenshm/regions/a@b");
  EXPECT_EQ(RegionNameOfRegistryKey("cam@0@raw"), "cam.0.raw");
  // A displaced region keeps its leading '@', so it cannot be taken for a
  // requested name (none starts with '.').
  EXPECT_EQ(RegistryKey("@17-a.b"), "@17-a@b");
  EXPECT_EQ(RegionNameOfRegistryKey("@17-a@b"), "@17-a.b");
  EXPECT_FALSE(ParseRegionName("@17-a"));
  EXPECT_FALSE(ParseRegionName(".a"));
}

}  // namespace
}  // namespace xenshm::schema
