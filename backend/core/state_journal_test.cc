#include "backend/core/state_journal.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace xenshm::backend {
namespace {

TEST(StateJournal, TextRoundTripsAndStrayBytesAreRefused) {
  JournalSnapshot snapshot;
  snapshot.domains = {{1, "00000000-0000-4000-8000-000000000001"}};
  snapshot.regions.push_back(
      {.name = "moo",
       .size = 4096,
       .id = 3,
       .charged_to = 1,
       .attributes = {{"mode", "0640"}, {"gid", "video cam"}},
       .policy_record = "owner=1\nmode=0640\ngid=\ndeclarer=a b\n"});
  JournaledPeer peer;
  peer.key = {1, 0};
  peer.region = "moo";
  peer.complete = true;
  peer.directory = 4;
  peer.grant_entries = 2;
  peer.directory_refs = "8 9";
  peer.peer_port = 5;
  snapshot.peers.push_back(peer);
  const std::string text = EncodeJournal(snapshot);
  auto back = DecodeJournal(text);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(*back, snapshot);
  for (const std::string& bad : std::vector<std::string>{
           text.substr(0, text.size() - 1),  // cut short
           text + "peer domain=1\n",         // fields missing
           text + "region name=x size=1 id=3 charged=- policy=\n",  // id twice
           "xenshm-journal 2\n"}) {
    EXPECT_FALSE(DecodeJournal(bad)) << bad;
  }
}

TEST(StateJournal, AnUnknownFieldOrRecordIsRefused) {
  const std::string header = std::string(kJournalHeader) + "\n";
  EXPECT_TRUE(DecodeJournal(header));
  EXPECT_FALSE(DecodeJournal(header + "domain id=1 uuid=x extra=1\n"));
  EXPECT_FALSE(DecodeJournal(header + "lease id=1\n"));
  EXPECT_FALSE(DecodeJournal(header + "domain id=1 uuid=a%zz\n"));
  EXPECT_FALSE(DecodeJournal(header + "domain id=1 uuid=a b\n"));
  // A peer of a region the journal does not name.
  EXPECT_FALSE(DecodeJournal(
      header +
      "peer domain=1 handle=0 region=moo index=0 access=rw complete=1 "
      "directory=- entries=0 refs= local=0 port=0 pid=0 started=0\n"));
}

}  // namespace
}  // namespace xenshm::backend
