"""The hybrid plenaries' questions: participants ask and support, moderators decide what is
public and what is being answered, the room's projector shows it, and every question's fate
goes into the exports and the synthesis (issue 15)."""
