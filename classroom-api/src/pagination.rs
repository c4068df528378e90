//! Listings paged by `nextId`, as streams that fetch the next page only when it is needed.
//!
//! Every operation of the spec that takes an optional `nextId` and answers a page (a `list` and a
//! `nextId`) has, beside its one-page method, a `<method>_pages` method yielding [`Pages`] and a
//! `<method>_stream` method yielding [`Items`]: `list_room_events_pages`,
//! `list_room_events_stream`, `list_recordings_stream`, and so on. Both start from the query's
//! `next_id` (the first page when it is unset) and end after the page whose `nextId` is null.
//! A stream from the first page whose pages say how many entries exist (`total`) does not end
//! silently before it has them all: a last page without `nextId` is then followed by an error.
//!
//! A failed page is yielded as an `Err` once, and the stream ends there. To resume, start a new
//! stream from [`Pages::next_id`] or [`Items::resume_from`]: nothing is skipped.
//!
//! ```no_run
//! # async fn example(client: &classroom_api::Client) -> classroom_api::Result<()> {
//! use classroom_api::operations::ListRoomEventsQuery;
//! use futures::StreamExt;
//!
//! let mut events = client.list_room_events_stream("room-1", &ListRoomEventsQuery::default());
//! while let Some(event) = events.next().await {
//!     match event {
//!         Ok(event) => println!("{} {}", event.sequence, event.cmd),
//!         Err(err) => {
//!             // Later: resume where the stream stopped.
//!             let query = ListRoomEventsQuery::default();
//!             let query = match events.resume_from() {
//!                 Some(next_id) => query.next_id(next_id),
//!                 None => query,
//!             };
//!             eprintln!("{err}; resume with {query:?}");
//!             break;
//!         }
//!     }
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::error::{DecodeError, Error, Result};
use crate::runtime::OperationInfo;

/// One page of a listing paged by `nextId`.
///
/// Implemented by the generator for every response type with a `list` array and a `nextId`
/// (for example [`EventPage`](crate::types::EventPage) and
/// [`RecordingPage`](crate::types::RecordingPage)).
pub trait Page {
    /// One entry of `list`.
    type Item;

    /// Where the next page starts; `None` (or an empty string) when this is the last page.
    fn next_id(&self) -> Option<&str>;

    /// The entries of `list`, in order (empty when the server sent none).
    fn into_items(self) -> Vec<Self::Item>;

    /// How many entries the whole listing has, when the page says (`total`); a stream that
    /// started at the first page and gets no `nextId` before that many entries ends with an error
    /// rather than silently.
    fn total(&self) -> Option<u64> {
        None
    }

    /// How many entries this page has, when known without consuming it.
    fn item_count(&self) -> Option<usize> {
        None
    }
}

/// The future of one page, as [`Pages::new`] takes it.
pub type PageFuture<P> = Pin<Box<dyn Future<Output = Result<P>> + Send>>;

/// The pages of a listing, fetched one at a time as the stream is polled.
///
/// Made by the generated `<method>_pages` methods, or by [`Pages::new`] for a listing of your own.
/// The stream ends after the page whose `nextId` is null or empty, or after yielding an error.
/// A page whose `nextId` was already fetched by this stream (itself, or an earlier page: A → B →
/// A) would repeat forever: it is yielded, then an error. The stream remembers a hash of up to
/// [`MAX_REMEMBERED`] `nextId`s; past that it forgets them all and starts again, so memory stays
/// bounded and any cycle shorter than that is still caught.
pub struct Pages<P> {
    op: &'static OperationInfo,
    fetch: Box<dyn FnMut(Option<String>) -> PageFuture<P> + Send>,
    next_id: Option<String>,
    state: State<P>,
    /// Hashes of the `nextId`s fetched so far (keyed per stream, so a server cannot aim at
    /// collisions).
    seen: HashSet<u64>,
    hasher: RandomState,
    /// Entries yielded so far, while the stream started at the first page and every page said
    /// how many entries it had; `None` otherwise.
    yielded: Option<u64>,
}

/// How many `nextId`s a [`Pages`] stream remembers to catch cycles (8 bytes each).
pub const MAX_REMEMBERED: usize = 65_536;

enum State<P> {
    Idle,
    Fetching(PageFuture<P>),
    /// The last page, fetched with this `nextId`, named an already fetched one as the next:
    /// an error comes next.
    Repeated(Option<String>),
    /// The last page had no `nextId` although `total` says more entries exist: an error comes next.
    Incomplete {
        total: u64,
        seen: u64,
    },
    Done,
}

impl<P: Page> Pages<P> {
    /// Pages starting at `start` (`None`: the first page); `fetch` gets one page from a `nextId`.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(client: &classroom_api::Client) {
    /// use classroom_api::operations::{LIST_RECORDINGS, ListRecordingsQuery};
    /// use classroom_api::pagination::Pages;
    ///
    /// let client = client.clone();
    /// let pages = Pages::new(&LIST_RECORDINGS, None, move |next_id| {
    ///     let client = client.clone();
    ///     let mut query = ListRecordingsQuery::default();
    ///     query.next_id = next_id;
    ///     Box::pin(async move { client.list_recordings("room-1", &query).await })
    /// });
    /// # let _ = pages;
    /// # }
    /// ```
    pub fn new<F>(op: &'static OperationInfo, start: Option<String>, fetch: F) -> Self
    where
        F: FnMut(Option<String>) -> PageFuture<P> + Send + 'static,
    {
        Pages {
            op,
            fetch: Box::new(fetch),
            yielded: start.is_none().then_some(0),
            next_id: start,
            state: State::Idle,
            seen: HashSet::new(),
            hasher: RandomState::new(),
        }
    }

    /// The `nextId` of the next request: `None` for the first page, or once the stream is done
    /// (see [`Pages::is_done`]). After an error, it is the `nextId` of the page that failed, so a
    /// new stream from it resumes exactly there.
    pub fn next_id(&self) -> Option<&str> {
        self.next_id.as_deref()
    }

    /// Whether the stream has ended, after the last page or after an error.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// The items of every page, one at a time.
    pub fn items(self) -> Items<P> {
        Items {
            pages: self,
            buffer: VecDeque::new(),
            current: None,
        }
    }

    /// Remembers `cursor` as fetched.
    fn remember(&mut self, cursor: &str) {
        if self.seen.len() >= MAX_REMEMBERED {
            self.seen.clear();
        }
        self.seen.insert(self.hasher.hash_one(cursor));
    }

    fn repeated(&self, fetched_with: Option<&str>, next: &str) -> Error {
        let reason = match fetched_with {
            Some(cursor) if cursor == next => format!(
                "the page fetched with nextId {cursor:?} has the same nextId: the listing would repeat forever"
            ),
            Some(cursor) => format!(
                "the page fetched with nextId {cursor:?} names nextId {next:?}, which was already fetched: the listing would repeat forever"
            ),
            None => format!(
                "the first page names nextId {next:?}, which was already fetched: the listing would repeat forever"
            ),
        };
        self.error(reason)
    }

    fn error(&self, reason: String) -> Error {
        Error::Decode(Box::new(DecodeError {
            operation: self.op.id,
            path: String::new(),
            status: 200,
            content_type: None,
            body_prefix: String::new(),
            reason,
            request_id: None,
            retry_after: None,
        }))
    }
}

impl<P: Page> Stream for Pages<P> {
    type Item = Result<P>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Done => return Poll::Ready(None),
                State::Repeated(fetched_with) => {
                    let fetched_with = fetched_with.take();
                    this.state = State::Done;
                    let next = this.next_id.clone().unwrap_or_default();
                    return Poll::Ready(Some(Err(this.repeated(fetched_with.as_deref(), &next))));
                }
                State::Incomplete { total, seen } => {
                    let reason = format!(
                        "the listing has {total} entries (total) but the page after entry {seen} has no nextId"
                    );
                    this.state = State::Done;
                    return Poll::Ready(Some(Err(this.error(reason))));
                }
                State::Idle => {
                    if let Some(cursor) = this.next_id.clone() {
                        this.remember(&cursor);
                    }
                    let future = (this.fetch)(this.next_id.clone());
                    this.state = State::Fetching(future);
                }
                State::Fetching(future) => {
                    let result = match future.as_mut().poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(result) => result,
                    };
                    let page = match result {
                        Ok(page) => page,
                        Err(err) => {
                            // `next_id` stays the failed page's, for resuming.
                            this.state = State::Done;
                            return Poll::Ready(Some(Err(err)));
                        }
                    };
                    let next = page.next_id().filter(|n| !n.is_empty()).map(str::to_owned);
                    this.yielded = this
                        .yielded
                        .zip(page.item_count())
                        .map(|(seen, n)| seen.saturating_add(n as u64));
                    let missing = match (this.yielded, page.total()) {
                        (Some(seen), Some(total)) if seen < total => Some((total, seen)),
                        _ => None,
                    };
                    this.state = match &next {
                        None => match missing {
                            Some((total, seen)) => State::Incomplete { total, seen },
                            None => State::Done,
                        },
                        Some(next) if this.seen.contains(&this.hasher.hash_one(next)) => {
                            State::Repeated(this.next_id.clone())
                        }
                        Some(_) => State::Idle,
                    };
                    this.next_id = next;
                    return Poll::Ready(Some(Ok(page)));
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.state {
            State::Done => (0, Some(0)),
            _ => (0, None),
        }
    }
}

impl<P> fmt::Debug for Pages<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("operation", &self.op.id)
            .field("next_id", &self.next_id)
            .field(
                "state",
                &match self.state {
                    State::Idle => "idle",
                    State::Fetching(_) => "fetching",
                    State::Repeated(_) | State::Incomplete { .. } | State::Done => "done",
                },
            )
            .finish()
    }
}

/// The items of every page of a listing, fetching the next page only when the previous one's
/// items are used up.
///
/// Made by the generated `<method>_stream` methods, or by [`Pages::items`].
pub struct Items<P: Page> {
    pages: Pages<P>,
    buffer: VecDeque<P::Item>,
    /// The `nextId` that fetched the page whose items are in `buffer`.
    current: Option<String>,
}

impl<P: Page> Items<P> {
    /// The `nextId` to start a new stream from so that no item not yet yielded is missed:
    /// the one of the page being read while it has items left (some of them come again), else
    /// the one of the next page. `None` means the first page, unless [`Items::is_done`].
    pub fn resume_from(&self) -> Option<&str> {
        if self.buffer.is_empty() {
            self.pages.next_id()
        } else {
            self.current.as_deref()
        }
    }

    /// Whether the stream has ended, after the last item or after an error.
    pub fn is_done(&self) -> bool {
        self.buffer.is_empty() && self.pages.is_done()
    }
}

// The items are only moved, never pinned.
impl<P: Page> Unpin for Items<P> {}

impl<P: Page> Stream for Items<P> {
    type Item = Result<P::Item>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            let cursor = this.pages.next_id.clone();
            match Pin::new(&mut this.pages).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(err))) => return Poll::Ready(Some(Err(err))),
                Poll::Ready(Some(Ok(page))) => {
                    this.current = cursor;
                    this.buffer = page.into_items().into();
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (_, upper) = self.pages.size_hint();
        (self.buffer.len(), upper.map(|_| self.buffer.len()))
    }
}

impl<P: Page> fmt::Debug for Items<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("buffered", &self.buffer.len())
            .field("current", &self.current)
            .finish()
    }
}
