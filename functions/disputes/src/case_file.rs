//! The buyer's case file (R-DISPUTE): the whole case as a consumer mediator needs it — the
//! parties (the trader with its DSA Art. 30 details, the buyer by reference only), the order
//! line and its amounts, the timeline, the messages and the outcome — as JSON and as a PDF a
//! person can read. The same case gives the same bytes: nothing in it depends on when it is
//! made.

use jiff::Timestamp;
use marketplace::Money;
use marketplace::disputes::legal::Mediator;
use marketplace::disputes::timeline::Event;
use marketplace::disputes::{Dispute, Message, Outcome};
use marketplace::order::Order;
use marketplace::seller::Seller;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use serde::Serialize;

/// An outcome as clients see it: the amount as a money object.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeView {
    pub kind: marketplace::disputes::OutcomeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    pub explanation: String,
    pub decided_at: Timestamp,
}

impl From<&Outcome> for OutcomeView {
    fn from(o: &Outcome) -> Self {
        OutcomeView {
            kind: o.kind,
            amount: o.amount,
            refund_id: o.refund_id.clone(),
            explanation: o.explanation.clone(),
            decided_at: o.decided_at,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trader {
    pub seller_id: String,
    pub legal_name: String,
    pub address: String,
    pub email: String,
    pub phone: String,
    pub trade_register: String,
    pub vat_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    pub order_id: String,
    pub ordered_at: Timestamp,
    pub offer_id: String,
    pub product: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub shipping_fee: Money,
    pub insurance_premium: Money,
    pub paid: Money,
    pub refunded_on_the_part: Money,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseFile {
    pub dispute_id: String,
    pub status: &'static str,
    pub market: String,
    pub subject: String,
    pub desired_outcome: &'static str,
    pub opened_at: Timestamp,
    pub answer_by: Timestamp,
    pub resolve_by: Timestamp,
    /// The buyer, by the platform's reference only: the file is the buyer's own.
    pub buyer_reference: String,
    pub trader: Trader,
    pub line: Line,
    pub messages: Vec<Message>,
    pub timeline: Vec<Event>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeView>,
    pub mediator: Mediator,
    pub courts: &'static str,
}

impl CaseFile {
    pub fn of(
        dispute: &Dispute,
        order: &Order,
        seller: &Seller,
        product: String,
        timeline: Vec<Event>,
        mediator: &Mediator,
    ) -> CaseFile {
        let t = &seller.trader;
        let a = &t.address;
        let address = [
            Some(a.line1.as_str()),
            a.line2.as_deref(),
            Some(&format!("{} {}", a.postal_code, a.city)),
            Some(a.country.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        let line = order.lines.iter().find(|l| l.offer_id == dispute.offer_id);
        let zero = Money::new(0, order.currency);
        let (quantity, unit_price, shipping_fee, insurance_premium) =
            line.map_or((0, zero, zero, zero), |l| (l.quantity, l.unit_price, l.shipping_fee, l.insurance_premium));
        let paid = line.map_or(zero, |l| {
            Money::new(
                l.items_amount().amount_minor + l.shipping_fee.amount_minor + l.insurance_premium.amount_minor,
                order.currency,
            )
        });
        let refunded = order.part(&dispute.seller_id).map_or(zero, |p| Money::new(p.refunded_minor, order.currency));
        CaseFile {
            dispute_id: dispute.id.clone(),
            status: dispute.status.as_str(),
            market: dispute.market.clone(),
            subject: dispute.subject.clone(),
            desired_outcome: dispute.desired_outcome.as_str(),
            opened_at: dispute.opened_at,
            answer_by: dispute.answer_by,
            resolve_by: dispute.resolve_by,
            buyer_reference: dispute.buyer.clone(),
            trader: Trader {
                seller_id: seller.id.clone(),
                legal_name: t.legal_name.clone(),
                address,
                email: t.email.clone(),
                phone: t.phone.clone(),
                trade_register: format!("{} {}", t.trade_register.name, t.trade_register.number),
                vat_id: t.vat_id.clone(),
            },
            line: Line {
                order_id: order.id.clone(),
                ordered_at: order.created_at,
                offer_id: dispute.offer_id.clone(),
                product,
                quantity,
                unit_price,
                shipping_fee,
                insurance_premium,
                paid,
                refunded_on_the_part: refunded,
            },
            messages: dispute.messages.clone(),
            timeline,
            outcome: dispute.outcome.as_ref().map(OutcomeView::from),
            mediator: mediator.clone(),
            courts: marketplace::disputes::legal::COURTS,
        }
    }

    /// The file as a PDF: A4 pages of the standard fonts, no embedded data, no clock.
    pub fn pdf(&self) -> Vec<u8> {
        let mut doc = Document::default();
        doc.heading(&format!("Case file {}", self.dispute_id));
        doc.text(&format!(
            "Status: {}. Market: {}. Opened {}; the seller's answer was due {}; the platform's decision {}.",
            self.status,
            self.market,
            moment(self.opened_at),
            moment(self.answer_by),
            moment(self.resolve_by)
        ));
        doc.text(&format!(
            "Subject: {}. The buyer asks for: {}.",
            self.subject,
            self.desired_outcome.replace('_', " ")
        ));
        doc.heading("Parties");
        let t = &self.trader;
        doc.text(&format!("Trader (seller {}): {}, {}", t.seller_id, t.legal_name, t.address));
        doc.text(&format!("E-mail {} - phone {} - {} - VAT {}", t.email, t.phone, t.trade_register, t.vat_id));
        doc.text(&format!("Buyer: customer reference {} (the buyer's own file).", self.buyer_reference));
        doc.heading("Order line");
        let l = &self.line;
        doc.text(&format!(
            "Order {} of {}: {} x {} (offer {}).",
            l.order_id,
            moment(l.ordered_at),
            l.quantity,
            l.product,
            l.offer_id
        ));
        doc.text(&format!(
            "Unit price {}, shipping {}, insurance {}: paid {}. Refunded on the seller's part so far: {}.",
            l.unit_price, l.shipping_fee, l.insurance_premium, l.paid, l.refunded_on_the_part
        ));
        doc.heading("Timeline");
        for event in &self.timeline {
            doc.text(&format!("{}  {}: {}", moment(event.at), event.kind.replace('_', " "), event.detail));
        }
        doc.heading("Outcome");
        match &self.outcome {
            None => doc.text("The platform has not decided."),
            Some(o) => {
                let amount = o.amount.map(|a| format!(" of {a}")).unwrap_or_default();
                doc.text(&format!(
                    "{}: {}{amount}. {}",
                    moment(o.decided_at),
                    o.kind.as_str().replace('_', " "),
                    o.explanation
                ));
            }
        }
        doc.heading("Consumer mediator");
        doc.text(&format!("{} - {}", self.mediator.name, self.mediator.website));
        doc.text(&self.mediator.how_to_file);
        doc.text(self.courts);
        doc.finish()
    }
}

/// A time as a person reads it (the JSON file keeps it exact).
fn moment(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// The page and its type: A4, 50 pt margins, Courier (fixed width, so lines wrap exactly).
const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;
const BODY_SIZE: f32 = 9.0;
const HEADING_SIZE: f32 = 13.0;
const LEADING: f32 = 12.0;
/// Courier's glyphs are 0.6 em wide.
const CHARS_PER_LINE: usize = ((WIDTH - 2.0 * MARGIN) / (BODY_SIZE * 0.6)) as usize;

#[derive(Default)]
struct Document {
    /// Each page's lines: (heading?, text).
    pages: Vec<Vec<(bool, String)>>,
    y: f32,
}

impl Document {
    fn line(&mut self, heading: bool, text: String) {
        let step = if heading { LEADING * 2.0 } else { LEADING };
        if self.pages.is_empty() || self.y - step < MARGIN {
            self.pages.push(Vec::new());
            self.y = HEIGHT - MARGIN;
        }
        self.y -= step;
        self.pages.last_mut().expect("a page was pushed above").push((heading, text));
    }

    fn heading(&mut self, text: &str) {
        self.line(true, text.to_owned());
    }

    /// A paragraph, wrapped at word boundaries (a word longer than a line is cut).
    fn text(&mut self, text: &str) {
        let mut current = String::new();
        for word in text.split_whitespace() {
            let mut word = word.to_owned();
            while word.chars().count() > CHARS_PER_LINE {
                let head: String = word.chars().take(CHARS_PER_LINE).collect();
                word = word.chars().skip(CHARS_PER_LINE).collect();
                if !current.is_empty() {
                    self.line(false, std::mem::take(&mut current));
                }
                self.line(false, head);
            }
            let needed = current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
            if needed > CHARS_PER_LINE && !current.is_empty() {
                self.line(false, std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(&word);
        }
        if !current.is_empty() {
            self.line(false, current);
        }
    }

    fn finish(self) -> Vec<u8> {
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let body = Ref::new(3);
        let bold = Ref::new(4);
        let first_page = 5;
        let page_ids: Vec<Ref> = (0..self.pages.len()).map(|i| Ref::new(first_page + 2 * i as i32)).collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids(page_ids.iter().copied()).count(page_ids.len() as i32);
        pdf.type1_font(body).base_font(Name(b"Courier")).encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
        for (i, lines) in self.pages.iter().enumerate() {
            let page_id = page_ids[i];
            let content_id = Ref::new(page_id.get() + 1);
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
            page.parent(tree);
            page.contents(content_id);
            let mut resources = page.resources();
            let mut fonts = resources.fonts();
            fonts.pair(Name(b"F1"), body);
            fonts.pair(Name(b"F2"), bold);
            fonts.finish();
            resources.finish();
            page.finish();
            let mut content = Content::new();
            let mut y = HEIGHT - MARGIN;
            for (heading, text) in lines {
                y -= if *heading { LEADING * 2.0 } else { LEADING };
                content.begin_text();
                if *heading {
                    content.set_font(Name(b"F2"), HEADING_SIZE);
                } else {
                    content.set_font(Name(b"F1"), BODY_SIZE);
                }
                content.next_line(MARGIN, y);
                content.show(Str(&win_ansi(text)));
                content.end_text();
            }
            let footer = format!("Page {} of {}", i + 1, self.pages.len());
            content.begin_text();
            content.set_font(Name(b"F1"), BODY_SIZE);
            content.next_line(MARGIN, MARGIN / 2.0);
            content.show(Str(&win_ansi(&footer)));
            content.end_text();
            pdf.stream(content_id, &content.finish());
        }
        pdf.finish()
    }
}

/// Text in the standard fonts' WinAnsi encoding: Latin-1 as it is, the euro sign and the
/// typographic quotes and dashes at their places, anything else as `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '–' => 0x96,
            '—' => 0x97,
            '×' => 0xD7,
            c if (' '..='~').contains(&c) => c as u8,
            c if ('\u{A0}'..='\u{FF}').contains(&c) => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_maps_to_win_ansi_and_wraps_within_the_margins() {
        assert_eq!(win_ansi("é 20,00 € — ok ✓"), b"\xe9 20,00 \x80 \x97 ok ?");
        let mut doc = Document::default();
        doc.text(&"word ".repeat(200));
        doc.text(&"x".repeat(CHARS_PER_LINE * 2 + 3));
        let lines: Vec<&(bool, String)> = doc.pages.iter().flatten().collect();
        assert!(lines.iter().all(|(_, l)| l.chars().count() <= CHARS_PER_LINE), "{lines:?}");
        let pdf = doc.finish();
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
