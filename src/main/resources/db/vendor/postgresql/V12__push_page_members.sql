-- A pushed page's members move out of push_pages into a table of their own, compressed (deflate of
-- the JSON array of [distinct_id, email] pairs). push_pages keeps small rows: the look-ups on every
-- page posted (was this session settled?) and on every apply tick read no members. The members are
-- read once, by the run that applies the page, and deleted when it succeeds; deleting a page deletes
-- its members. push_pages.members stays for pages written before this migration (still read).
CREATE TABLE push_page_members (
    page_id BIGINT PRIMARY KEY REFERENCES push_pages (id) ON DELETE CASCADE,
    members BYTEA NOT NULL
);
