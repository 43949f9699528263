#include "backend/policy/reservations.h"

#include <gtest/gtest.h>

#include "backend/policy/stanza.h"

namespace xenshm::policy {
namespace {

DomainPolicy Policy(std::initializer_list<const char*> items) {
  std::vector<LocatedItem> located;
  int line = 1;
  for (const char* item : items)
    located.push_back({item, "g.cfg", line++, std::nullopt});
  auto built = BuildDomainPolicy(located);
  EXPECT_TRUE(built) << built.error().ToString();
  return *built;
}

TEST(Reservations, TheFirstDeclarerKeepsANameAndTheSecondIsReported) {
  ReservationBook book;
  EXPECT_TRUE(book.Declare("camera", Policy({"umask=027",
                                             "create=cam0,size=64K,mode=0666"}))
                  .empty());
  ASSERT_NE(book.Find("cam0"), nullptr);
  EXPECT_EQ(book.Find("cam0")->declarer, "camera");
  EXPECT_EQ(book.Find("cam0")->mode, 0640u);  // umask applied
  auto conflicts = book.Declare("rival", Policy({"create=cam0,size=4K"}));
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_NE(conflicts[0].find("'rival'"), std::string::npos);
  EXPECT_NE(conflicts[0].find("'camera'"), std::string::npos);
  EXPECT_EQ(book.Find("cam0")->declarer, "camera");
}

TEST(Reservations, ADeclarerReplacesWhatItDeclaredBefore) {
  ReservationBook book;
  book.Declare("camera",
               Policy({"create=cam0,size=4K", "create=cam1,size=4K"}));
  book.Declare("camera", Policy({"create=cam1,size=8K"}));
  EXPECT_EQ(book.Find("cam0"), nullptr);
  ASSERT_NE(book.Find("cam1"), nullptr);
  EXPECT_EQ(book.Find("cam1")->spec.size, 8192u);
  // Once released, another domain may declare it.
  EXPECT_TRUE(book.Declare("rival", Policy({"create=cam0,size=4K"})).empty());
  EXPECT_EQ(book.Find("cam0")->declarer, "rival");
}

}  // namespace
}  // namespace xenshm::policy
