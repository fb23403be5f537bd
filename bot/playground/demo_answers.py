"""What the demo café's staff wrote: answers to the Customer Management Systems questions.

Plain data, in the words frontline staff use. Each question has three answers in different
voices; demo.py hands them out so that neighbours in the team say different things, and last
round's answers are a shade less settled than this round's.
"""

from __future__ import annotations

ANSWERS: dict[str, tuple[str, str, str]] = {
    "offering-1": (
        "Maya looks at what sold each week on the till report and we talk about it on Monday. "
        "Things that don't sell in a month come off the board.",
        "Mostly by what regulars ask for. When three people ask for oat milk flat whites we add "
        "it, no big process.",
        "We try a special for two weeks and keep it if it pays. The bakery order tells us quickly.",
    ),
    "offering-2": (
        "We ask at the counter, and the comment cards by the door. Honestly most of it is what "
        "people say while they wait.",
        "Google reviews and the delivery app ratings. Someone reads them on Fridays.",
        "The office people want speed at 8:30, the mums' group wants space for prams. We noticed, "
        "nobody wrote it down.",
    ),
    "offering-3": (
        "Gluten-free and vegan options since spring, because people kept leaving when we had none.",
        "For the offices we started pre-orders by phone at 8. It works when someone remembers to "
        "pick up.",
        "Not really systematic. If a customer complains about portions we change it for everyone.",
    ),
    "offering-4": (
        "The catering for the coworking upstairs started because Ben knew the manager. We could "
        "do more of that.",
        "Evening opening on Fridays was tried in summer, stopped in October. Nobody measured why.",
        "Farid suggested breakfast boxes for the school run. Still an idea.",
    ),
    "support-1": (
        "Phone, Instagram messages and just walking in. The Instagram inbox is checked when "
        "someone has time.",
        "Allergen info is in a folder behind the counter; new staff don't always know where.",
        "The website has opening hours and the menu, not much else. People call to ask about "
        "tables.",
    ),
    "support-2": (
        "Card, cash and the delivery apps. Pre-orders by phone. Since November also table QR "
        "ordering.",
        "The QR ordering confuses older customers, so we still take orders at the table for them.",
        "Invoices for the office catering are done by Maya at the end of the month, by hand.",
    ),
    "support-3": (
        "Talking to people at the counter is the main one. Then Instagram and the phone.",
        "A WhatsApp group with our catering clients. Quick, but only Maya and Ben are in it.",
        "Comment cards, reviews, and the delivery app chat for missing items.",
    ),
    "support-4": (
        "Regulars get remembered and chatted with; tourists mostly need directions and Wi-Fi.",
        "Catering clients get Ben's phone number. Walk-ins get whoever is on the till.",
        "Delivery customers only reach us through the app, which is slow to answer.",
    ),
    "support-5": (
        "We learned the hard way: the allergy question must always be answered by the shift "
        "lead. That's in the opening checklist now.",
        "New starters shadow someone for two shifts. What 'good service' means isn't written "
        "anywhere.",
        "We discuss it in the Monday huddle when something went wrong the week before.",
    ),
    "segmentation-1": (
        "Morning office rush, mums and babies mid-morning, students after 3, tourists at the "
        "weekend. Everyone knows it, it's not on paper.",
        "From the till: card payments cluster at 8-9 and 15-16. That's about it.",
        "We never really sat down to decide groups. It's more gut feeling.",
    ),
    "segmentation-2": (
        "We looked at the delivery app data once: most orders come from two streets. We put "
        "flyers there.",
        "The new flats across the road will bring families. We think so, anyway.",
        "The loyalty card could tell us who comes back, but we don't look at it.",
    ),
    "segmentation-3": (
        "The chain café on the corner gets the commuters we miss before 7:30.",
        "People from the gym next door buy smoothies elsewhere. We could open earlier.",
        "We check what others charge, not who their customers are.",
    ),
    "segmentation-4": (
        "Catering pays best per hour, so Maya wants more of it.",
        "Regulars keep us alive in winter; we should look after them first.",
        "Weekend tourists are a bonus, not a target.",
    ),
    "relationships-1": (
        "Knowing names and usual orders. Grace remembers everyone, it's her superpower.",
        "Loyalty card: the tenth coffee free. That's the whole programme.",
        "Catering clients get a call after each event, sometimes.",
    ),
    "relationships-2": (
        "Instagram posts when we have time, a chalkboard outside, word of mouth.",
        "We did a tasting evening once; people loved it, we never repeated it.",
        "The local newsletter mentioned us in May and we got busier for weeks.",
    ),
    "relationships-3": (
        "Good coffee and a friendly face. New customers mostly walk past and come in.",
        "Delivery apps bring new people but take 30%.",
        "Offering the office upstairs a free first order got us the catering deal.",
    ),
    "relationships-4": (
        "We want to be the friendly local place, not a chain. The look of the café says it.",
        "Bad reviews hurt; Maya answers each one herself, politely.",
        "Cups and bags have the logo now, since September.",
    ),
    "relationships-5": (
        "First visit: we say hello and explain the QR. Regulars: we remember them. Lapsed: "
        "nothing, we don't notice they're gone.",
        "If an order is wrong we redo it straight away, no questions. That's the rule.",
        "We don't really know when someone stops coming.",
    ),
    "relationships-6": (
        "Kids' drawing wall, the book swap shelf, the Friday pastry vote on Instagram.",
        "Regulars suggest specials; the winning one gets their name on the board for a week.",
        "More could be done. We don't have a plan for it.",
    ),
    "relationships-7": (
        "Instagram is the main one: photos of new cakes, opening hours changes.",
        "Dmitri does nice photos when he's on shift, otherwise nothing gets posted for weeks.",
        "We answer messages but sometimes a day late.",
    ),
    "complaints-1": (
        "The person who hears it deals with it, then tells the shift lead.",
        "Written complaints go to Maya. Spoken ones often get lost.",
        "Since summer we note complaints in the notebook by the till.",
    ),
    "complaints-2": (
        "Replace the drink or the cake on the spot, apologise, no argument.",
        "Delivery complaints take days because the app handles refunds.",
        "Most are fixed within the visit. The notebook helps us see repeats.",
    ),
    "complaints-3": (
        "When we fixed the cold-latte problem (new machine settings), the regular who "
        "complained became our biggest fan.",
        "We discuss the notebook on Mondays and change one thing a month.",
        "We don't follow up after the visit. People just come back, or don't.",
    ),
}

#: What the team agreed in the group, per area: (strengths, opportunities for improvement).
CONSENSUS_NOTES: dict[str, tuple[str, str]] = {
    "product-offering": (
        "We listen to regulars and try specials quickly.",
        "Write down why a product stays or goes; look at the till report together monthly.",
    ),
    "customer-support": (
        "Friendly counter service; allergy questions always go to the shift lead.",
        "One shared inbox for Instagram, phone and catering, checked at set times.",
    ),
    "customer-segmentation": (
        "Everyone knows the daily rhythm of who comes when.",
        "Use the loyalty card data to see who comes back and who stopped.",
    ),
    "customer-relationships": (
        "People feel known here; Grace's memory for names.",
        "Notice lapsed regulars and invite them back; post on Instagram on a schedule.",
    ),
    "complaint-management": (
        "Fix it on the spot, no argument; the complaints notebook.",
        "Follow up the next visit; review repeats every Monday.",
    ),
}

#: The demo team's improvement plan for "product-offering": done, started, overdue.
DEMO_ACTIONS = (
    "Write down why each product stays or goes",
    "Go through the till report together on the first Monday of the month",
    "Put the monthly product review in the shared calendar",
)
